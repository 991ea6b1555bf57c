// Pure helpers of the call's audio for the recording (P9; call_audio_tap.js): Web Audio's
// float samples as the base64 of 16-bit PCM the agent app's local API takes, and a context
// time as wall-clock milliseconds.

/**
 * Float blocks (-1..1) as base64 of signed 16-bit little-endian samples, clipped.
 * @param {Float32Array[]} blocks
 * @returns {string}
 */
export function pcmBase64(blocks) {
  const count = blocks.reduce((sum, block) => sum + block.length, 0);
  const bytes = new Uint8Array(count * 2);
  const view = new DataView(bytes.buffer);
  let index = 0;
  for (const block of blocks) {
    for (const value of block) {
      const clipped = Math.max(-1, Math.min(1, value));
      view.setInt16(index * 2, Math.round(clipped * 32767), true);
      index += 1;
    }
  }
  let binary = "";
  for (let start = 0; start < bytes.length; start += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(start, start + 0x8000));
  }
  return btoa(binary);
}

/**
 * The wall-clock time (Unix ms) of the context time `time` (seconds), from an
 * AudioContext.getOutputTimestamp() and performance.timeOrigin.
 * @param {number} time
 * @param {{contextTime: number, performanceTime: number}} stamp
 * @param {number} timeOrigin
 * @returns {number}
 */
export function chunkTime(time, stamp, timeOrigin) {
  return timeOrigin + stamp.performanceTime + (time - stamp.contextTime) * 1000;
}
