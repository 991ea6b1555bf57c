// Decodes the screen channel's video frames with WebCodecs' VideoDecoder (Chromium,
// QtWebEngine, WebView2). One decoder per stream, layer and size: a key frame of another one
// starts a new decoder, and the old one is *retired*, not dropped: the frames still decoding in
// it (sent before the relay switched this viewer's layer, or before a stream's END) come out
// and are painted, then it closes. A delta frame with no decoder to follow it (no key frame
// seen, or the decoder failed) is refused, and the viewer tells the relay once (onLost:
// `video_lost`), which sends the next key frame of its layer (docs/protocol.md, "Video
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

/** One WebCodecs decoder and the frames (seq) it still owes a picture for. */
class StreamDecoder {
  constructor(config, streamId, frame, onError) {
    this.config = config;
    this.streamId = streamId;
    this.seqs = new Set();
    this.decoder = new VideoDecoder({
      output: (picture) => onError.output(picture),
      error: (error) => onError.error(this, error),
    });
    this.decoder.configure({
      codec: WEBCODECS_CODECS[frame.codecName],
      codedWidth: frame.codedW,
      codedHeight: frame.codedH,
      optimizeForLatency: true,
    });
  }

  get open() {
    return this.decoder.state === "configured";
  }

  close() {
    if (this.decoder.state !== "closed") {
      try {
        this.decoder.close();
      } catch {
        // already closed by its own error
      }
    }
  }
}

export class VideoStreamDecoder {
  /**
   * @param {object} [options]
   * @param {(seq: number) => void} [options.onLost] the decoder lost its place at frame `seq`
   *   (a delta frame it cannot follow, or a decoding error): called once until the next key
   *   frame, so the viewer can ask the relay for one
   */
  constructor({ onLost = () => {} } = {}) {
    this.onLost = onLost;
    this._current = null; // the StreamDecoder new frames go to
    this._waiting = new Map(); // timestamp (seq) → {resolve, reject, owner}
    this._lostReported = false;
    this.stats = { decoders: 0, retired: 0, lost: 0 };
    this._callbacks = {
      output: (picture) => this._output(picture),
      error: (owner, error) => this._failed(owner, error),
    };
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
    if (frame.key && (this._current === null || config !== this._current.config || !this._current.open)) {
      this._retire(this._current);
      this._current = new StreamDecoder(config, frame.streamId, frame, this._callbacks);
      this.stats.decoders += 1;
      this._lostReported = false;
    } else if (this._current === null || config !== this._current.config || !this._current.open) {
      this._lost(frame.seq);
      return Promise.reject(new Error(`video frame ${frame.seq} needs a key frame first`));
    }
    if (frame.key) {
      this._lostReported = false;
    }
    const owner = this._current;
    return new Promise((resolve, reject) => {
      this._waiting.set(frame.seq, { resolve, reject, owner });
      owner.seqs.add(frame.seq);
      try {
        owner.decoder.decode(
          new EncodedVideoChunk({
            type: frame.key ? "key" : "delta",
            timestamp: frame.seq,
            data: frame.payload,
          }),
        );
      } catch (error) {
        this._failed(owner, error);
      }
    });
  }

  /**
   * A stream's END frame (its frames already pushed still come out), or, without a stream id,
   * the socket is gone: every decoder closes now and its frames are refused.
   * @param {number} [streamId]
   */
  end(streamId) {
    if (streamId === undefined) {
      const current = this._current;
      this._current = null;
      if (current !== null) {
        this._abandon(current, new Error("the video stream ended"));
      }
      for (const { owner } of [...this._waiting.values()]) {
        this._abandon(owner, new Error("the video stream ended"));
      }
      return;
    }
    if (this._current !== null && this._current.streamId === streamId) {
      this._retire(this._current);
      this._current = null;
    }
  }

  /** Let a decoder finish the frames it has, then close it. */
  _retire(owner) {
    if (owner === null || !owner.open) {
      return;
    }
    this.stats.retired += 1;
    owner.decoder.flush().then(
      () => this._abandon(owner, new Error("the retired video decoder gave no picture")),
      (error) => this._abandon(owner, error),
    );
  }

  _output(picture) {
    const waiter = this._waiting.get(picture.timestamp);
    if (waiter === undefined) {
      picture.close();
      return;
    }
    this._waiting.delete(picture.timestamp);
    waiter.owner.seqs.delete(picture.timestamp);
    waiter.resolve(new DecodedVideo(picture));
  }

  /** A decoder failed: its frames are refused; if it was the current one, the place is lost. */
  _failed(owner, error) {
    const first = Math.min(...owner.seqs);
    this._abandon(owner, error);
    if (owner === this._current) {
      this._current = null;
      this._lost(Number.isFinite(first) ? first : 0);
    }
  }

  /** Close a decoder and refuse every frame it still owes. */
  _abandon(owner, error) {
    owner.close();
    for (const seq of owner.seqs) {
      const waiter = this._waiting.get(seq);
      if (waiter !== undefined && waiter.owner === owner) {
        this._waiting.delete(seq);
        waiter.reject(error);
      }
    }
    owner.seqs.clear();
  }

  _lost(seq) {
    if (this._lostReported) {
      return;
    }
    this._lostReported = true;
    this.stats.lost += 1;
    try {
      this.onLost(seq);
    } catch (error) {
      console.error("onLost failed", error);
    }
  }
}
