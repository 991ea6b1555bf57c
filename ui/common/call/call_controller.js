// The session's call on one page (CH9): the relay's call_state through call_model.js, one
// PeerLink per joined peer (a mesh), the local microphone and camera, mute / camera off /
// device changes, network quality from getStats. No DOM: call_tile.js draws it; the agent's
// chat view, the customer page and the viewer each make one on their session socket.
//
// Recording hook (item 5 of CH9): `audioTracks()` lists the call's audio tracks right now
// (this page's microphone and every peer's voice), and `onAudioTracks(callback)` is told each
// time that list changes. A recorder (a later feature) mixes them, e.g. with a Web Audio
// MediaStreamAudioDestinationNode, beside the screen recording. See docs/calls.md.

import { MessageType } from "../protocol.js";
import { CallPhase, hasTurn, isPolite, linkChanges, qualityOf, viewOf } from "./call_model.js";
import { CallMediaError, openCamera, openMedia, openMicrophone } from "./media_devices.js";
import { PeerLink } from "./peer_link.js";

const QUALITY_EVERY_MS = 2000;
// `?ice=relay` in the page's address: TURN candidates only, as on a network that blocks
// direct paths (a diagnostic switch for support staff; the tests and bench_call.py use it).
const URL_ICE_POLICY = new URLSearchParams(window.location.search).get("ice") === "relay" ? "relay" : "all";
const SIGNALS = [MessageType.SDP_OFFER, MessageType.SDP_ANSWER, MessageType.ICE_CANDIDATE];

export class CallController {
  /**
   * @param {object} options
   * @param {import("../session_socket.js").SessionSocket} options.socket
   * @param {(controller: CallController) => void} options.onChange redraw
   * @param {"all"|"relay"} [options.iceTransportPolicy] "relay": TURN only (tests, benchmarks)
   * @param {(media: string) => Promise<void>} [options.beforeMedia] awaited before the microphone
   *   and camera open (the desktop app lets its window use them only in a call); a throw is a
   *   failed call
   */
  constructor({ socket, onChange, iceTransportPolicy = URL_ICE_POLICY, beforeMedia = null }) {
    this.beforeMedia = beforeMedia; // awaited before the devices open (the desktop app's gate)
    this.socket = socket;
    this.onChange = onChange;
    this.iceTransportPolicy = iceTransportPolicy;
    this.state = null; // the last call_state
    this.view = viewOf(null);
    this.localStream = null;
    this.links = new Map(); // peer id -> PeerLink
    this.remoteStreams = new Map(); // peer id -> MediaStream
    this.linkStates = new Map(); // peer id -> connecting|connected|relaying|...
    this.quality = new Map(); // peer id -> qualityOf() result
    this.muted = false;
    this.cameraOff = false;
    this.devices = { audioId: "", videoId: "", speakerId: "" };
    this.error = null; // a string key: call.error.<key>
    this.notice = null; // a string key: call.notice.<key> (e.g. no camera, voice only)
    this.busy = false; // opening devices
    this._audioListeners = new Set();
    this._qualityTimer = null;
    this._unsubscribe = [
      socket.on(MessageType.CALL_STATE, (message) => this._stateChanged(message)),
      ...SIGNALS.map((type) => socket.on(type, (message) => this._signal(message))),
      socket.on(MessageType.ERROR, (error) => this._refused(error)),
      socket.on(MessageType.SESSION_ENDED, () => this._teardown()),
    ];
  }

  // ---- actions ---------------------------------------------------------------------------

  /** The agent calls the session's customers. */
  async start(media) {
    if (this.view.phase !== CallPhase.IDLE && this.view.phase !== CallPhase.ENDED) {
      return;
    }
    if (await this._openMedia(media)) {
      this.state = null;
      this.view = viewOf(null);
      this.socket.send(MessageType.START_CALL, { media });
      this._changed();
    }
  }

  /** Answer the ringing call on this page. */
  async accept() {
    const { callId, media } = this.view;
    if (this.view.phase !== CallPhase.INCOMING || !(await this._openMedia(media))) {
      return;
    }
    this.socket.send(MessageType.ANSWER_CALL, { call_id: callId, accept: true });
  }

  decline() {
    if (this.view.phase === CallPhase.INCOMING) {
      this.socket.send(MessageType.ANSWER_CALL, { call_id: this.view.callId, accept: false });
    }
  }

  hangUp() {
    if (this.view.callId) {
      this.socket.send(MessageType.HANG_UP, { call_id: this.view.callId });
    }
    this._teardown();
    this._changed();
  }

  setMuted(muted) {
    this.muted = muted;
    for (const track of this.localStream?.getAudioTracks() ?? []) {
      track.enabled = !muted;
    }
    this._sendMedia();
    this._changed();
  }

  /** Camera off stops the camera (its light goes out) and sends no frames at all. */
  async setCameraOff(off) {
    if (!this.localStream) {
      return;
    }
    if (off) {
      for (const track of this.localStream.getVideoTracks()) {
        track.stop();
        this.localStream.removeTrack(track);
      }
      await Promise.all([...this.links.values()].map((link) => link.replaceTrack("video", null)));
    } else {
      try {
        const track = await openCamera(this.devices.videoId);
        this.localStream.addTrack(track);
        await Promise.all([...this.links.values()].map((link) => link.replaceTrack("video", track)));
        this.notice = null;
      } catch (error) {
        this.error = error instanceof CallMediaError ? error.key : "failed";
        this._changed();
        return;
      }
    }
    this.cameraOff = off;
    this._sendMedia();
    this._changed();
  }

  /** Another microphone or camera from the pickers; the speaker is the tile's (setSinkId). */
  async setDevice(kind, deviceId) {
    if (kind === "speaker") {
      this.devices.speakerId = deviceId;
      this._changed();
      return;
    }
    const key = kind === "audio" ? "audioId" : "videoId";
    this.devices[key] = deviceId;
    if (!this.localStream || (kind === "video" && this.cameraOff)) {
      return;
    }
    try {
      const track = kind === "audio" ? await openMicrophone(deviceId) : await openCamera(deviceId);
      if (kind === "audio") {
        track.enabled = !this.muted;
      }
      const old = kind === "audio" ? this.localStream.getAudioTracks() : this.localStream.getVideoTracks();
      for (const previous of old) {
        previous.stop();
        this.localStream.removeTrack(previous);
      }
      this.localStream.addTrack(track);
      await Promise.all([...this.links.values()].map((link) => link.replaceTrack(kind, track)));
      this._audioChanged();
    } catch (error) {
      this.error = error instanceof CallMediaError ? error.key : "failed";
    }
    this._changed();
  }

  /** Forget an error or notice the user has read. */
  dismiss() {
    this.error = null;
    this.notice = null;
    this._changed();
  }

  // ---- the recording hook ----------------------------------------------------------------

  /** The call's audio tracks now: this page's microphone and each peer's voice. */
  audioTracks() {
    return {
      local: this.localStream?.getAudioTracks() ?? [],
      remote: new Map([...this.remoteStreams].map(([id, stream]) => [id, stream.getAudioTracks()])),
    };
  }

  /** Call `callback(audioTracks())` whenever the call's audio tracks change; returns an unsubscribe. */
  onAudioTracks(callback) {
    this._audioListeners.add(callback);
    return () => this._audioListeners.delete(callback);
  }

  // ---- the relay's messages -----------------------------------------------------------------

  _stateChanged(message) {
    this.state = message;
    const before = this.view.phase;
    this.view = viewOf(message);
    const phase = this.view.phase;
    if (phase === CallPhase.ACTIVE || phase === CallPhase.OUTGOING) {
      if (before !== phase) this.error = null;
      const shown = this.view.me;
      if (shown && (shown.muted !== this.muted || shown.camera_off !== this.cameraOff)) {
        this._sendMedia(); // e.g. answered a video call with voice only (no camera)
      }
      this._updateLinks();
    } else if (phase === CallPhase.INCOMING) {
      // Ringing here: nothing to open until the user answers.
    } else {
      // Ended, elsewhere (another page of mine took the call) or idle: drop the media here.
      this._teardown();
    }
    this._changed();
  }

  _updateLinks() {
    const { open, close } = linkChanges(this.links.keys(), this.view.peers);
    for (const peerId of close) {
      this._closeLink(peerId);
    }
    for (const peerId of open) {
      this._openLink(peerId);
    }
    if (this.links.size && !this._qualityTimer) {
      this._qualityTimer = setInterval(() => this._measure(), QUALITY_EVERY_MS);
    }
  }

  _openLink(peerId) {
    if (!this.localStream) {
      return null;
    }
    const iceServers = this.view.iceServers;
    const link = new PeerLink({
      peerId,
      polite: isPolite(this.view.me.id, peerId),
      config: { iceServers, iceTransportPolicy: this.iceTransportPolicy },
      localStream: this.localStream,
      canRelay: hasTurn(iceServers),
      signal: (type, fields) =>
        this.socket.send(type, { call_id: this.view.callId, to: peerId, ...fields }),
      onStream: (stream) => {
        this.remoteStreams.set(peerId, stream);
        this._audioChanged();
        this._changed();
      },
      onState: (state) => {
        this.linkStates.set(peerId, state);
        this._changed();
      },
    });
    this.links.set(peerId, link);
    this.linkStates.set(peerId, "connecting");
    return link;
  }

  _closeLink(peerId) {
    this.links.get(peerId)?.close();
    this.links.delete(peerId);
    this.remoteStreams.delete(peerId);
    this.linkStates.delete(peerId);
    this.quality.delete(peerId);
    this._audioChanged();
  }

  _signal(message) {
    if (message.call_id !== this.view.callId || this.view.phase !== CallPhase.ACTIVE) {
      return; // a late frame of an earlier call, or a call on another page of mine
    }
    let link = this.links.get(message.sender);
    if (!link && this.view.peers.some((peer) => peer.id === message.sender)) {
      link = this._openLink(message.sender);
    }
    link?.handle(message);
  }

  _refused(error) {
    if (error.in_reply_to === MessageType.START_CALL) {
      this._teardown();
      this.error = error.message === "no customer is connected" ? "no_customer" : "refused";
      this._changed();
    } else if (error.in_reply_to === MessageType.ANSWER_CALL) {
      this._teardown();
      this._changed();
    }
  }

  async _measure() {
    for (const [peerId, link] of this.links) {
      try {
        const report = await link.getStats();
        const quality = qualityOf(report.values(), this.quality.get(peerId) ?? null);
        this.quality.set(peerId, quality);
        if (quality.relayed && this.linkStates.get(peerId) === "connected") {
          this.linkStates.set(peerId, "relaying"); // the path found goes through TURN
        }
      } catch {
        // a closed link: it is gone by the next round
      }
    }
    this._changed();
  }

  // ---- local media ------------------------------------------------------------------------

  async _openMedia(media) {
    this.busy = true;
    this.error = null;
    this.notice = null;
    this._changed();
    try {
      await this.beforeMedia?.(media);
      const { stream, cameraProblem } = await openMedia(media, this.devices);
      this._stopLocal();
      this.localStream = stream;
      this.muted = false;
      this.cameraOff = media === "video" ? cameraProblem !== null : false;
      this.notice = cameraProblem ? `camera_${cameraProblem}` : null;
      this._audioChanged();
      return true;
    } catch (error) {
      this.error = error instanceof CallMediaError ? error.key : "failed";
      return false;
    } finally {
      this.busy = false;
      this._changed();
    }
  }

  _sendMedia() {
    if (this.view.phase === CallPhase.ACTIVE || this.view.phase === CallPhase.OUTGOING) {
      this.socket.send(MessageType.SET_CALL_MEDIA, {
        call_id: this.view.callId,
        muted: this.muted,
        camera_off: this.cameraOff,
      });
    }
  }

  _stopLocal() {
    for (const track of this.localStream?.getTracks() ?? []) {
      track.stop();
    }
    this.localStream = null;
  }

  _teardown() {
    clearInterval(this._qualityTimer);
    this._qualityTimer = null;
    for (const peerId of [...this.links.keys()]) {
      this._closeLink(peerId);
    }
    this._stopLocal();
    this._audioChanged();
  }

  _audioChanged() {
    const tracks = this.audioTracks();
    for (const listener of this._audioListeners) {
      listener(tracks);
    }
  }

  _changed() {
    this.onChange?.(this);
  }

  /** What tests and the benchmark read (through each page's window.__rsTest). */
  testState() {
    return {
      phase: this.view.phase,
      callId: this.view.callId,
      media: this.view.media,
      peers: this.view.peers.map((peer) => ({ ...peer })),
      links: Object.fromEntries(this.linkStates),
      muted: this.muted,
      cameraOff: this.cameraOff,
      error: this.error,
      notice: this.notice,
      localTracks: this.localStream?.getTracks().map((track) => track.kind) ?? [],
    };
  }

  /** getStats() of every link now, as qualityOf() reads it, by peer id. */
  async stats() {
    const result = {};
    for (const [peerId, link] of this.links) {
      result[peerId] = qualityOf((await link.getStats()).values());
    }
    return result;
  }

  destroy() {
    this._teardown();
    for (const unsubscribe of this._unsubscribe) {
      unsubscribe();
    }
  }
}
