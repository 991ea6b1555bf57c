// Paints region frames onto a canvas the size of the agent's screen, in the order they arrive.
//
// Decoding starts as soon as a frame arrives, so two frames in flight decode side by side;
// painting waits for every earlier frame, so a region never lands under an older one. The
// relay sends each connection's frames oldest first; after a reconnect (reset()) the order
// starts again with the relay's resend of the whole picture, whose seq numbers may be lower
// than the last one painted.

import { FrameDecoder } from "./decoder.js";
import { createVideoLayer } from "./video_layer.js";

// What the canvas shows where no frame has painted yet (a dark neutral, like a screen that is off).
const BLANK_COLOUR = "#1b1f27";

export class ScreenPainter {
  /**
   * @param {HTMLCanvasElement} canvas painted at the agent's screen resolution
   * @param {object} [options]
   * @param {FrameDecoder} [options.decoder]
   * @param {(frame: object, info: {decodeMs: number, path: string}) => void} [options.onPainted]
   *   called right after each frame is drawn (also for a frame that failed to decode, with
   *   path "failed", so the caller still acknowledges it and the relay's window moves on)
   * @param {(w: number, h: number) => void} [options.onResize] the screen size changed
   * @param {false|{kind?: string}} [options.videoLayer] show scaled video pictures on a layer
   *   over the canvas where the engine has one (video_layer.js; kind "canvas" asks for the
   *   canvas layer), scaled by the compositor; the canvas's parent must then be a positioned
   *   box of the canvas's size. Otherwise they are drawn scaled into the canvas.
   */
  constructor(
    canvas,
    { decoder = new FrameDecoder(), onPainted = () => {}, onResize = () => {}, videoLayer = false } = {},
  ) {
    this.canvas = canvas;
    this.decoder = decoder;
    this.onPainted = onPainted;
    this.onResize = onResize;
    // alpha: false lets the compositor skip blending; frames are opaque screen pixels.
    this.context = canvas.getContext("2d", { alpha: false });
    // made at the first scaled video picture (an engine without VideoDecoder never needs one)
    this._videoLayerOptions = videoLayer && canvas.parentElement ? videoLayer : null;
    this.videoLayer = null;
    this.screenW = 0;
    this.screenH = 0;
    this._queue = []; // [{frame, decoded: Promise}], arrival order
    this._painting = false;
    this._generation = 0;
    this.stats = {
      framesPainted: 0,
      lastSeq: 0,
      bytes: 0,
      decodeMsTotal: 0,
      decodeMsLast: 0,
      decodeMsMax: 0,
      decodeFailures: 0,
      paths: { bitmap: 0, imagedecoder: 0, video: 0 },
      videoLayers: [0, 0], // video frames painted per layer (high, low)
      lastVideoLayer: null,
    };
  }

  /** True once any frame was painted since the last resize (there is a picture to show). */
  get hasPicture() {
    return this._hasPicture === true;
  }

  /**
   * Make the canvas the size of the shared screen; a change clears the picture.
   * @returns {boolean} true when the size changed
   */
  setScreenSize(w, h) {
    if (!(w > 0 && h > 0) || (w === this.screenW && h === this.screenH)) {
      return false;
    }
    this.screenW = w;
    this.screenH = h;
    this.canvas.width = w;
    this.canvas.height = h;
    this.clear();
    this.onResize(w, h);
    return true;
  }

  /** Blank the picture (a new presentation, or the relay forgot it). */
  clear() {
    this.context.fillStyle = BLANK_COLOUR;
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.videoLayer?.hide();
    this._hasPicture = false;
  }

  /**
   * The picture as shown (the canvas with the video layer on top), x, y, w × h in screen pixels.
   * @returns {ImageData}
   */
  readPixels(x, y, w, h) {
    if (!this.videoLayer?.shown) {
      return this.context.getImageData(x, y, w, h);
    }
    const copy = document.createElement("canvas");
    copy.width = w;
    copy.height = h;
    const context = copy.getContext("2d", { willReadFrequently: true });
    context.drawImage(this.canvas, -x, -y);
    this.videoLayer.drawOnto(context, x, y);
    return context.getImageData(0, 0, w, h);
  }

  /**
   * Take a parsed frame: decode it now, paint it after every frame that came before it.
   * @param {object} frame from parseFrame()
   */
  push(frame) {
    this.stats.bytes += frame.payload.byteLength + (frame.video ? 40 : 32);
    const started = performance.now();
    // A video stream's END frame: nothing to draw; its decoder finishes the frames it has and
    // closes (then region frames take the region over). Done now, not in paint order: the
    // next stream's key frame may arrive before the END's turn to paint, and must not be
    // thrown away with the old stream.
    if (frame.end) {
      this.decoder.video?.end(frame.streamId);
    }
    const decoded = frame.end ? Promise.resolve({ end: true }) : this.decoder.decode(frame).then(
      (image) => ({ image, decodeMs: performance.now() - started }),
      (error) => ({ error, decodeMs: performance.now() - started }),
    );
    this._queue.push({ frame, decoded, generation: this._generation });
    this._drain();
  }

  /** Forget frames not painted yet (the socket they came on is gone). */
  reset() {
    this._generation += 1;
    for (const entry of this._queue) {
      entry.decoded.then(({ image }) => image?.close());
    }
    this._queue = [];
    this.decoder.video?.end();
  }

  async _drain() {
    if (this._painting) {
      return;
    }
    this._painting = true;
    try {
      while (this._queue.length > 0) {
        const entry = this._queue[0];
        const result = await entry.decoded;
        if (entry.generation !== this._generation) {
          result.image?.close();
          continue; // reset() already emptied the queue
        }
        this._queue.shift();
        if (result.end) {
          continue;
        }
        this._paint(entry.frame, result);
      }
    } finally {
      this._painting = false;
    }
  }

  _paint(frame, { image, error, decodeMs }) {
    const stats = this.stats;
    stats.decodeMsLast = decodeMs;
    stats.decodeMsTotal += decodeMs;
    stats.decodeMsMax = Math.max(stats.decodeMsMax, decodeMs);
    let path = "failed";
    if (error) {
      stats.decodeFailures += 1;
      console.warn(`frame ${frame.seq} could not be decoded:`, error.message ?? error);
    } else {
      try {
        this.setScreenSize(frame.screenW, frame.screenH);
        const { width, height } = sizeOf(image.image);
        const scaled = width !== frame.w || height !== frame.h;
        if (frame.video && scaled && this._videoLayerOptions !== null && this.videoLayer === null) {
          this.videoLayer = createVideoLayer(this.canvas, this._videoLayerOptions);
          this._videoLayerOptions = null; // made once (null: this engine draws into the canvas)
        }
        const layer = this.videoLayer;
        if (frame.video && scaled && layer !== null) {
          // Scaled by the compositor: less CPU than drawImage scaling it (video_layer.js).
          layer.show(image.image, frame, this.context);
        } else {
          if (layer?.overlaps(frame.x, frame.y, frame.w, frame.h)) {
            layer.flatten(this.context);
          }
          if (scaled) {
            // The header wins: the region is where the presenter said, whatever the image size.
            this.context.drawImage(image.image, frame.x, frame.y, frame.w, frame.h);
          } else {
            this.context.drawImage(image.image, frame.x, frame.y);
          }
        }
        path = image.path;
        stats.paths[path] += 1;
        stats.framesPainted += 1;
        stats.lastSeq = frame.seq;
        if (frame.video) {
          stats.videoLayers[frame.layer] += 1;
          stats.lastVideoLayer = frame.layer;
        }
        this._hasPicture = true;
      } finally {
        image.close();
      }
    }
    try {
      this.onPainted(frame, { decodeMs, path });
    } catch (callbackError) {
      console.error("onPainted failed", callbackError);
    }
  }
}

function sizeOf(image) {
  // ImageBitmap has width/height; a WebCodecs VideoFrame has displayWidth/displayHeight.
  return {
    width: image.displayWidth ?? image.width,
    height: image.displayHeight ?? image.height,
  };
}
