// Turns the image bytes of a region frame into something drawImage() takes, off the main
// thread: the browser decodes both createImageBitmap() and WebCodecs ImageDecoder images on its
// own threads.
//
// Why two paths (docs in /work/shared/PLATFORM-NOTES.md, "The viewer's side"): each Blob +
// createImageBitmap costs ~0.75 ms of fixed overhead, which dominates when many small regions
// arrive; ImageDecoder on the raw bytes skips the Blob and cut 510 tiles from ~500 ms to ~60 ms.
// For one large image both cost the same, and createImageBitmap is everywhere (ImageDecoder
// needs a secure context: https, or http on localhost).

/** How images are decoded: "auto" picks per image; the others force one path (benchmarks). */
export const DecoderMode = Object.freeze({
  AUTO: "auto",
  BITMAP: "bitmap",
  IMAGE_DECODER: "imagedecoder",
});

import { VideoStreamDecoder } from "./video_decoder.js";

// Regions up to this many pixels go through ImageDecoder in "auto" mode (256×256).
const SMALL_REGION_PIXELS = 256 * 256;

// Keep pixels exactly as encoded: a lossless region must land on the canvas bit for bit.
const BITMAP_OPTIONS = Object.freeze({ colorSpaceConversion: "none", premultiplyAlpha: "none" });

/** A decoded region: draw `image`, then call close() to free its memory at once. */
export class DecodedImage {
  constructor(image, path) {
    this.image = image;
    this.path = path;
  }

  close() {
    this.image?.close?.();
    this.image = null;
  }
}

export class FrameDecoder {
  /**
   * @param {object} [options]
   * @param {string} [options.mode] one of DecoderMode
   */
  constructor({ mode = DecoderMode.AUTO } = {}) {
    this.mode = Object.values(DecoderMode).includes(mode) ? mode : DecoderMode.AUTO;
    this._supported = new Map(); // MIME type → Promise<boolean> from ImageDecoder.isTypeSupported
    this.video = new VideoStreamDecoder(); // video frames (regions in motion)
  }

  /** True when this browser has WebCodecs' ImageDecoder (secure contexts only). */
  static get hasImageDecoder() {
    return typeof window.ImageDecoder === "function";
  }

  /**
   * Decode the payload of a parsed frame.
   * @param {{payload: Uint8Array, mimeType: string, w: number, h: number}} frame
   * @returns {Promise<DecodedImage>}
   * @throws {Error} when the bytes are not a valid image of that type
   */
  async decode(frame) {
    if (frame.video) {
      return this.video.decode(frame);
    }
    if (await this._useImageDecoder(frame)) {
      return new DecodedImage(await decodeWithImageDecoder(frame), "imagedecoder");
    }
    const blob = new Blob([frame.payload], { type: frame.mimeType });
    return new DecodedImage(await createImageBitmap(blob, BITMAP_OPTIONS), "bitmap");
  }

  async _useImageDecoder(frame) {
    if (this.mode === DecoderMode.BITMAP || !FrameDecoder.hasImageDecoder) {
      return false;
    }
    if (this.mode === DecoderMode.AUTO && frame.w * frame.h > SMALL_REGION_PIXELS) {
      return false;
    }
    if (!this._supported.has(frame.mimeType)) {
      this._supported.set(
        frame.mimeType,
        window.ImageDecoder.isTypeSupported(frame.mimeType).catch(() => false),
      );
    }
    return this._supported.get(frame.mimeType);
  }
}

async function decodeWithImageDecoder(frame) {
  const decoder = new window.ImageDecoder({
    data: frame.payload,
    type: frame.mimeType,
    colorSpaceConversion: "none",
    premultiplyAlpha: "none",
  });
  try {
    const { image } = await decoder.decode({ frameIndex: 0 });
    return image; // a VideoFrame: drawImage() takes it; DecodedImage.close() frees it
  } finally {
    decoder.close();
  }
}
