// The screen channel's binary region frame (docs/protocol.md, "Screen channel"): a 32-byte
// little-endian header, struct format `<2sBBIdHHHHHHBBH`, followed by the encoded image.
//
// tests/e2e/test_viewer_frame.py packs headers with Python's struct and checks that
// parseFrame() reads them back field by field, and that encodeFrameHeader() gives the same bytes.

export const FRAME_HEADER_BYTES = 32;
export const FRAME_MAGIC = "RS";
export const FRAME_VERSION = 1;

/** Values of the `kind` byte. */
export const FrameKind = Object.freeze({
  REGION: 1,
  VIDEO: 2, // video_frame.js
});

/** Values of the `encoding` byte, with the image MIME type each one decodes as. */
export const FrameEncoding = Object.freeze({
  JPEG: 1,
  PNG: 2,
  WEBP: 3,
});

const MIME_TYPES = Object.freeze({
  [FrameEncoding.JPEG]: "image/jpeg",
  [FrameEncoding.PNG]: "image/png",
  [FrameEncoding.WEBP]: "image/webp",
});

/** Bits of the `flags` byte. */
export const FrameFlag = Object.freeze({
  LOSSLESS: 0b01, // this region is now pixel-exact
  KEY_FRAME: 0b10, // the region covers the whole screen
});

// Byte offsets of the header fields (the table in docs/protocol.md).
const OFFSET = Object.freeze({
  magic: 0,
  version: 2,
  kind: 3,
  seq: 4,
  captureMs: 8,
  x: 16,
  y: 18,
  w: 20,
  h: 22,
  screenW: 24,
  screenH: 26,
  encoding: 28,
  flags: 29,
  reserved: 30,
});

/** A binary frame that does not follow the screen channel's format. */
export class FrameError extends Error {
  constructor(message) {
    super(message);
    this.name = "FrameError";
  }
}

/**
 * Read one region frame.
 * @param {ArrayBuffer} buffer the whole websocket message
 * @returns {{seq: number, captureMs: number, x: number, y: number, w: number, h: number,
 *   screenW: number, screenH: number, encoding: number, flags: number, lossless: boolean,
 *   keyFrame: boolean, mimeType: string, payload: Uint8Array}} the header fields and a view
 *   of the image bytes (no copy)
 * @throws {FrameError} naming the first field that is wrong
 */
export function parseFrame(buffer) {
  if (!(buffer instanceof ArrayBuffer)) {
    throw new FrameError("frame is not an ArrayBuffer");
  }
  if (buffer.byteLength < FRAME_HEADER_BYTES) {
    throw new FrameError(`frame is ${buffer.byteLength} bytes, shorter than its 32-byte header`);
  }
  const view = new DataView(buffer);
  const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1));
  if (magic !== FRAME_MAGIC) {
    throw new FrameError(`frame magic is ${JSON.stringify(magic)}, expected "RS"`);
  }
  const version = view.getUint8(OFFSET.version);
  if (version !== FRAME_VERSION) {
    throw new FrameError(`frame version ${version} is not supported (expected ${FRAME_VERSION})`);
  }
  const kind = view.getUint8(OFFSET.kind);
  if (kind !== FrameKind.REGION) {
    throw new FrameError(`frame kind ${kind} is unknown`);
  }
  const encoding = view.getUint8(OFFSET.encoding);
  const mimeType = MIME_TYPES[encoding];
  if (mimeType === undefined) {
    throw new FrameError(`frame encoding ${encoding} is unknown`);
  }
  const frame = {
    seq: view.getUint32(OFFSET.seq, true),
    captureMs: view.getFloat64(OFFSET.captureMs, true),
    x: view.getUint16(OFFSET.x, true),
    y: view.getUint16(OFFSET.y, true),
    w: view.getUint16(OFFSET.w, true),
    h: view.getUint16(OFFSET.h, true),
    screenW: view.getUint16(OFFSET.screenW, true),
    screenH: view.getUint16(OFFSET.screenH, true),
    encoding,
    flags: view.getUint8(OFFSET.flags),
    mimeType,
    payload: new Uint8Array(buffer, FRAME_HEADER_BYTES),
  };
  if (frame.w === 0 || frame.h === 0) {
    throw new FrameError(`frame region ${frame.w}×${frame.h} is empty`);
  }
  if (frame.x + frame.w > frame.screenW || frame.y + frame.h > frame.screenH) {
    throw new FrameError(
      `frame region ${frame.w}×${frame.h} at (${frame.x}, ${frame.y}) is outside the ` +
        `${frame.screenW}×${frame.screenH} screen`,
    );
  }
  frame.lossless = (frame.flags & FrameFlag.LOSSLESS) !== 0;
  frame.keyFrame = (frame.flags & FrameFlag.KEY_FRAME) !== 0;
  return frame;
}

/**
 * Build the 32-byte header of a region frame (tests, and a presenter written in JavaScript).
 * @param {object} fields seq, captureMs, x, y, w, h, screenW, screenH, encoding, flags
 * @returns {Uint8Array}
 */
export function encodeFrameHeader({
  seq,
  captureMs,
  x,
  y,
  w,
  h,
  screenW,
  screenH,
  encoding,
  flags = 0,
}) {
  const bytes = new Uint8Array(FRAME_HEADER_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(OFFSET.magic, FRAME_MAGIC.charCodeAt(0));
  view.setUint8(OFFSET.magic + 1, FRAME_MAGIC.charCodeAt(1));
  view.setUint8(OFFSET.version, FRAME_VERSION);
  view.setUint8(OFFSET.kind, FrameKind.REGION);
  view.setUint32(OFFSET.seq, seq, true);
  view.setFloat64(OFFSET.captureMs, captureMs, true);
  view.setUint16(OFFSET.x, x, true);
  view.setUint16(OFFSET.y, y, true);
  view.setUint16(OFFSET.w, w, true);
  view.setUint16(OFFSET.h, h, true);
  view.setUint16(OFFSET.screenW, screenW, true);
  view.setUint16(OFFSET.screenH, screenH, true);
  view.setUint8(OFFSET.encoding, encoding);
  view.setUint8(OFFSET.flags, flags);
  view.setUint16(OFFSET.reserved, 0, true);
  return bytes;
}
