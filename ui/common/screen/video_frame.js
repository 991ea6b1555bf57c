// The screen channel's binary video frame (docs/protocol.md, "Video frames"): a 40-byte
// little-endian header, struct format `<2sBBIdHHHHHHBBBBHHI`, followed by one VP8/VP9 packet.
// The JavaScript twin of suite/screen/video_frame.py; tests/e2e/test_video_stream.py packs
// headers with Python and checks that parseVideoFrame() reads them back.

import { FRAME_MAGIC, FRAME_VERSION, FrameError, FrameKind } from "./frame.js";

export const VIDEO_HEADER_BYTES = 40;

/** Values of the `codec` byte, with the WebCodecs codec string each one decodes as. */
export const VideoCodec = Object.freeze({ VP8: 1, VP9: 2 });
export const VIDEO_CODEC_NAMES = Object.freeze({ [VideoCodec.VP8]: "vp8", [VideoCodec.VP9]: "vp9" });
// VP9 profile 0, level 1.0, 8-bit: what the presenter's libvpx sends (4:2:0).
export const WEBCODECS_CODECS = Object.freeze({ vp8: "vp8", vp9: "vp09.00.10.08" });

/** Values of the `layer` byte (simulcast). */
export const VideoLayer = Object.freeze({ HIGH: 0, LOW: 1 });

/** Bits of the `flags` byte. */
export const VideoFlag = Object.freeze({ KEY: 0b01, END: 0b10 });

/** The `kind` byte of a binary screen frame (undefined when too short). */
export function frameKindOf(buffer) {
  return buffer.byteLength > 3 ? new DataView(buffer).getUint8(3) : undefined;
}

/**
 * Read one video frame.
 * @param {ArrayBuffer} buffer the whole websocket message
 * @returns {object} the header fields (seq, captureMs, x, y, w, h, screenW, screenH, codec,
 *   codecName, flags, key, end, layer, codedW, codedH, streamId), video: true, and the packet
 * @throws {FrameError} naming the first field that is wrong
 */
export function parseVideoFrame(buffer) {
  if (!(buffer instanceof ArrayBuffer)) {
    throw new FrameError("frame is not an ArrayBuffer");
  }
  if (buffer.byteLength < VIDEO_HEADER_BYTES) {
    throw new FrameError(`video frame is ${buffer.byteLength} bytes, shorter than its 40-byte header`);
  }
  const view = new DataView(buffer);
  const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1));
  if (magic !== FRAME_MAGIC) {
    throw new FrameError(`frame magic is ${JSON.stringify(magic)}, expected "RS"`);
  }
  const version = view.getUint8(2);
  if (version !== FRAME_VERSION) {
    throw new FrameError(`frame version ${version} is not supported (expected ${FRAME_VERSION})`);
  }
  if (view.getUint8(3) !== FrameKind.VIDEO) {
    throw new FrameError(`frame kind ${view.getUint8(3)} is not video`);
  }
  const codec = view.getUint8(28);
  const codecName = VIDEO_CODEC_NAMES[codec];
  if (codecName === undefined) {
    throw new FrameError(`video codec ${codec} is unknown`);
  }
  const flags = view.getUint8(29);
  const layer = view.getUint8(30);
  if (!Object.values(VideoLayer).includes(layer)) {
    throw new FrameError(`video layer ${layer} is unknown`);
  }
  const frame = {
    video: true,
    seq: view.getUint32(4, true),
    captureMs: view.getFloat64(8, true),
    x: view.getUint16(16, true),
    y: view.getUint16(18, true),
    w: view.getUint16(20, true),
    h: view.getUint16(22, true),
    screenW: view.getUint16(24, true),
    screenH: view.getUint16(26, true),
    codec,
    codecName,
    flags,
    key: (flags & VideoFlag.KEY) !== 0,
    end: (flags & VideoFlag.END) !== 0,
    layer,
    codedW: view.getUint16(32, true),
    codedH: view.getUint16(34, true),
    streamId: view.getUint32(36, true),
    payload: new Uint8Array(buffer, VIDEO_HEADER_BYTES),
  };
  if (frame.w === 0 || frame.h === 0 || frame.codedW === 0 || frame.codedH === 0) {
    throw new FrameError(`video region ${frame.w}×${frame.h} is empty`);
  }
  if (frame.x + frame.w > frame.screenW || frame.y + frame.h > frame.screenH) {
    throw new FrameError(
      `video region ${frame.w}×${frame.h} at (${frame.x}, ${frame.y}) is outside the ` +
        `${frame.screenW}×${frame.screenH} screen`,
    );
  }
  return frame;
}
