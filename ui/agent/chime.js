// The attention sound: a short chime made with WebAudio, nothing downloaded or
// bundled. A join or a knock rises (two notes up), a message is one note, a control request
// falls (two notes down), so the agent can tell them apart without looking.
//
// Browsers start an AudioContext only after the person has used the page (autoplay policy).
// The agent signs in with a click, so the page has that; after a reload the first key or
// click unlocks it (unlockOnGesture). The desktop app's engine lets WebAudio play at once.

const NOTES_HZ = Object.freeze({
  customer_joined: [659.25, 987.77], // E5 → B5
  knock: [659.25, 987.77],
  message: [880],
  control_request: [987.77, 659.25],
  test: [659.25, 880, 987.77],
});
const NOTE_GAP_S = 0.14;
const NOTE_LENGTH_S = 0.32;
const PEAK_GAIN = 0.35; // at volume 100: loud enough to hear across a room, never clipping

export class Chime {
  constructor() {
    this._context = null;
  }

  /** Create and resume the AudioContext at the first key or click (autoplay policy). */
  unlockOnGesture() {
    const unlock = () => {
      this._audio()?.resume().catch(() => {});
      document.removeEventListener("pointerdown", unlock, true);
      document.removeEventListener("keydown", unlock, true);
    };
    document.addEventListener("pointerdown", unlock, true);
    document.addEventListener("keydown", unlock, true);
  }

  /**
   * Play the chime of `event` at `volume` (0–100). False when this engine has no WebAudio.
   * @param {string} event an attention event, or "test"
   * @param {number} volume
   */
  play(event, volume) {
    const audio = this._audio();
    if (!audio || volume <= 0) {
      return false;
    }
    if (audio.state === "suspended") {
      audio.resume().catch(() => {});
    }
    const peak = PEAK_GAIN * Math.min(volume, 100) / 100;
    let start = audio.currentTime + 0.02;
    for (const hz of NOTES_HZ[event] ?? NOTES_HZ.message) {
      const tone = audio.createOscillator();
      tone.type = "sine";
      tone.frequency.value = hz;
      const envelope = audio.createGain();
      envelope.gain.setValueAtTime(0.0001, start);
      envelope.gain.exponentialRampToValueAtTime(peak, start + 0.015);
      envelope.gain.exponentialRampToValueAtTime(0.0001, start + NOTE_LENGTH_S);
      tone.connect(envelope).connect(audio.destination);
      tone.start(start);
      tone.stop(start + NOTE_LENGTH_S + 0.02);
      start += NOTE_GAP_S;
    }
    return true;
  }

  _audio() {
    if (!this._context && window.AudioContext) {
      this._context = new AudioContext();
    }
    return this._context;
  }
}
