// The call's sound into the recording (P9), in the desktop app's chat window: while this
// support's presenter records and a call has audio, the agent's microphone and every
// customer's voice (the CallController's recording hook, audioTracks()) are mixed by Web
// Audio into one 48 kHz mono input, read by call_audio_worklet.js, and sent in chunks of
// CHUNK_SAMPLES to the app's local API (POST /local/presentation/audio), which hands them to
// the presenter's recorder. Each chunk carries the wall-clock time of its first sample, so
// the recorder puts it beside the pictures of that moment.
//
// Why here: the call's media lives in this page's WebRTC connections (QtWebEngine); the
// presenter process never sees it, and the voices arrive decoded only here.

import { chunkTime, pcmBase64 } from "../common/call/call_audio_pcm.js";

const RATE = 48000;
const CHUNK_SAMPLES = 9600; // 200 ms: five local requests a second
const CHECK_EVERY_MS = 1000; // how soon a recording (or its end) is noticed
const WORKLET_URL = new URL("./call_audio_worklet.js", import.meta.url);

export class CallAudioTap {
  /**
   * @param {object} options
   * @param {import("../common/call/call_controller.js").CallController} options.controller
   * @param {{callAudioStatus: Function, callAudio: Function}} options.backend the desktop app
   * @param {string} options.sessionId
   */
  constructor({ controller, backend, sessionId }) {
    this.controller = controller;
    this.backend = backend;
    this.sessionId = sessionId;
    this.context = null;
    this.tap = null;
    this.sources = new Map(); // track id -> MediaStreamAudioSourceNode
    this.pending = [];
    this.pendingSamples = 0;
    this.pendingAt = 0;
    this.chunksSent = 0; // for tests: chunks the app took into a recording
    this._checking = false;
    this._timer = setInterval(() => this._check(), CHECK_EVERY_MS);
  }

  /** Every audio track of the call now: this page's microphone and each customer's voice. */
  _tracks() {
    const { local, remote } = this.controller.audioTracks();
    return [...local, ...[...remote.values()].flat()].filter((track) => track.readyState === "live");
  }

  async _check() {
    if (this._checking) {
      return;
    }
    this._checking = true;
    try {
      const tracks = this._tracks();
      let recording = false;
      if (tracks.length) {
        recording = Boolean((await this.backend.callAudioStatus(this.sessionId)).recording);
      }
      if (recording) {
        await this._mix(tracks);
      } else {
        this._stopMix();
      }
    } catch (error) {
      console.warn("call audio for the recording:", error);
      this._stopMix();
    } finally {
      this._checking = false;
    }
  }

  /** Connect each track once; forget the ones that ended. */
  async _mix(tracks) {
    if (!this.context) {
      const context = new AudioContext({ sampleRate: RATE });
      await context.audioWorklet.addModule(WORKLET_URL);
      const tap = new AudioWorkletNode(context, "rs-call-audio-tap", {
        channelCount: 1,
        channelCountMode: "explicit",
        channelInterpretation: "speakers",
      });
      tap.port.onmessage = (event) => this._block(event.data);
      // Pulled by the destination so that it runs; it writes nothing, so nothing is heard twice.
      tap.connect(context.destination);
      this.context = context;
      this.tap = tap;
    }
    if (this.context.state === "suspended") {
      await this.context.resume();
    }
    const ids = new Set(tracks.map((track) => track.id));
    for (const [id, source] of this.sources) {
      if (!ids.has(id)) {
        source.disconnect();
        this.sources.delete(id);
      }
    }
    for (const track of tracks) {
      if (!this.sources.has(track.id)) {
        const source = this.context.createMediaStreamSource(new MediaStream([track]));
        source.connect(this.tap);
        this.sources.set(track.id, source);
      }
    }
  }

  _block({ time, samples }) {
    if (!this.context) {
      return;
    }
    if (!this.pendingSamples) {
      this.pendingAt = chunkTime(time, this.context.getOutputTimestamp(), performance.timeOrigin);
    }
    this.pending.push(samples);
    this.pendingSamples += samples.length;
    if (this.pendingSamples >= CHUNK_SAMPLES) {
      this._send();
    }
  }

  _send() {
    const blocks = this.pending;
    const at = Math.round(this.pendingAt);
    this.pending = [];
    this.pendingSamples = 0;
    this.backend
      .callAudio(this.sessionId, at, pcmBase64(blocks))
      .then((answer) => {
        if (answer?.recording) {
          this.chunksSent += 1;
        }
      })
      .catch((error) => console.warn("call audio chunk not taken:", error));
  }

  _stopMix() {
    if (!this.context) {
      return;
    }
    if (this.pendingSamples) {
      this._send(); // the last words before the call or the recording ended
    }
    for (const source of this.sources.values()) {
      source.disconnect();
    }
    this.sources.clear();
    this.tap?.disconnect();
    this.context.close();
    this.context = this.tap = null;
  }

  destroy() {
    clearInterval(this._timer);
    this._stopMix();
  }
}
