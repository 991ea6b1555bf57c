// Writes the screen channel's binary region frames (docs/protocol.md, "Screen channel"): the
// JavaScript twin of suite/screen/frames.py's RegionFrame.__bytes__(), used by the agent page
// when it presents from the browser (ui/agent/browser_presenter.js). frame.js reads frames;
// this module checks every field as Python's RegionFrame.validate() does and writes the same
// bytes (tests/e2e/test_frame_writer.py compares them with Python's struct).

import { FRAME_HEADER_BYTES, FrameEncoding, FrameFlag, encodeFrameHeader } from "./frame.js";

export const MAX_SEQ = 2 ** 32 - 1;
export const MAX_SIDE_PX = 2 ** 16 - 1;
const KNOWN_FLAGS = FrameFlag.LOSSLESS | FrameFlag.KEY_FRAME;
const ENCODINGS = new Set(Object.values(FrameEncoding));

/**
 * Check a frame's fields against the protocol.
 * @param {object} fields seq, captureMs, x, y, w, h, screenW, screenH, encoding, flags
 * @throws {RangeError} naming the field and the rule it breaks (Python's messages)
 */
export function validateRegion({ seq, captureMs, x, y, w, h, screenW, screenH, encoding, flags = 0 }) {
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) {
    throw new RangeError(`seq must be 1..${MAX_SEQ}, got ${seq}`);
  }
  if (!Number.isFinite(captureMs) || captureMs < 0) {
    throw new RangeError(`capture_ms must be a finite time >= 0, got ${captureMs}`);
  }
  const sides = { x, y, w, h, screen_w: screenW, screen_h: screenH };
  for (const [name, value] of Object.entries(sides)) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_SIDE_PX) {
      throw new RangeError(`${name} must be 0..${MAX_SIDE_PX}, got ${value}`);
    }
  }
  if (w === 0 || h === 0) {
    throw new RangeError(`region ${w}x${h} is empty`);
  }
  if (screenW === 0 || screenH === 0) {
    throw new RangeError(`screen ${screenW}x${screenH} is empty`);
  }
  if (x + w > screenW || y + h > screenH) {
    throw new RangeError(`region ${w}x${h} at (${x},${y}) is outside the ${screenW}x${screenH} screen`);
  }
  if (!ENCODINGS.has(encoding)) {
    throw new RangeError(`unknown encoding ${encoding}`);
  }
  if (!Number.isInteger(flags) || flags & ~KNOWN_FLAGS) {
    throw new RangeError(`unknown flag bits 0x${(flags & ~KNOWN_FLAGS).toString(16).padStart(2, "0")}`);
  }
  if (flags & FrameFlag.KEY_FRAME && (x !== 0 || y !== 0 || w !== screenW || h !== screenH)) {
    throw new RangeError("a key frame must cover the whole screen");
  }
}

/**
 * One whole region frame: the checked 32-byte header followed by the image bytes.
 * @param {object} fields as validateRegion()
 * @param {Uint8Array|ArrayBuffer} payload the encoded image
 * @returns {Uint8Array} what to send as one binary websocket message
 * @throws {RangeError} a field breaks the protocol (nothing is built)
 */
export function encodeRegionFrame(fields, payload) {
  validateRegion(fields);
  const image = payload instanceof Uint8Array ? payload : new Uint8Array(payload);
  const frame = new Uint8Array(FRAME_HEADER_BYTES + image.byteLength);
  frame.set(encodeFrameHeader(fields), 0);
  frame.set(image, FRAME_HEADER_BYTES);
  return frame;
}
