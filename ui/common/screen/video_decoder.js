// Decodes the screen channel's video frames with WebCodecs' VideoDecoder (Chromium,
// QtWebEngine, WebView2). One decoder per stream and layer: a key frame of another stream,
// layer or size configures it anew; a delta frame it cannot follow (no key frame seen, or the
// decoder failed) is refused, and the relay brings a key frame soon (docs/protocol.md, "Video
// frames"). Where VideoDecoder is missing (WebKitGTK of the one-time viewer) supportedCodecs()
// is empty: the viewer says so in decoder_support and gets the JPEG path.

import { WEBCODECS_CODECS } from "./video_frame.js";

/** A decoded video picture, drawn like an image (DecodedImage in decoder.js). */
class DecodedVideo {
  constructor(image) {
    this.image = image;
    this.path = "video";
  }

  close() {
    this.image?.close();
    this.image = null;
  }
}

export class VideoStreamDecoder {
  constructor() {
    this._decoder = null;
    this._config = ""; // codec/stream/layer/size the decoder is configured for
    this._waiting = new Map(); // timestamp (seq) → {resolve, reject}
  }

  /**
   * The codec names ("vp8", "vp9") this engine decodes in software or hardware.
   * @returns {Promise<string[]>}
   */
  static async supportedCodecs() {
    if (typeof globalThis.VideoDecoder !== "function") {
      return [];
    }
    const names = [];
    for (const [name, codec] of Object.entries(WEBCODECS_CODECS)) {
      try {
        const { supported } = await globalThis.VideoDecoder.isConfigSupported({
          codec,
          codedWidth: 1920,
          codedHeight: 1080,
        });
        if (supported) {
          names.push(name);
        }
      } catch {
        // not this one
      }
    }
    return names;
  }

  /**
   * Decode one video frame from parseVideoFrame().
   * @returns {Promise<DecodedVideo>} resolved when the decoder outputs its picture
   * @throws {Error} a delta frame without its key frame, or a decoding error
   */
  decode(frame) {
    const config = `${frame.codecName}/${frame.streamId}/${frame.layer}/${frame.codedW}x${frame.codedH}`;
    if (frame.key && config !== this._config) {
      this._configure(frame, config);
    } else if (config !== this._config || this._decoder === null) {
      return Promise.reject(new Error(`video frame ${frame.seq} needs a key frame first`));
    }
    return new Promise((resolve, reject) => {
      this._waiting.set(frame.seq, { resolve, reject });
      try {
        this._decoder.decode(
          new EncodedVideoChunk({
            type: frame.key ? "key" : "delta",
            timestamp: frame.seq,
            data: frame.payload,
          }),
        );
      } catch (error) {
        this._waiting.delete(frame.seq);
        this._fail(error);
        reject(error);
      }
    });
  }

  /** The stream is over (its END frame) or the socket is gone: drop the decoder. */
  end() {
    this._fail(new Error("the video stream ended"));
  }

  _configure(frame, config) {
    this._fail(new Error("a new video stream started"));
    const decoder = new VideoDecoder({
      output: (picture) => this._output(picture),
      error: (error) => this._fail(error),
    });
    decoder.configure({
      codec: WEBCODECS_CODECS[frame.codecName],
      codedWidth: frame.codedW,
      codedHeight: frame.codedH,
      optimizeForLatency: true,
    });
    this._decoder = decoder;
    this._config = config;
  }

  _output(picture) {
    const waiter = this._waiting.get(picture.timestamp);
    if (waiter === undefined) {
      picture.close();
      return;
    }
    this._waiting.delete(picture.timestamp);
    waiter.resolve(new DecodedVideo(picture));
  }

  _fail(error) {
    const decoder = this._decoder;
    this._decoder = null;
    this._config = "";
    if (decoder !== null && decoder.state !== "closed") {
      try {
        decoder.close();
      } catch {
        // already closed by its own error
      }
    }
    for (const { reject } of this._waiting.values()) {
      reject(error);
    }
    this._waiting.clear();
  }
}
