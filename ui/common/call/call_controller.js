// The session's call on one page (CH9): the relay's call_state through call_model.js, one
// PeerLink per joined peer (a mesh), the local microphone and camera, mute / camera off /
// device changes, network quality from getStats. No DOM: call_tile.js draws it; the agent's
// chat view, the customer page and the viewer each make one on their session socket.
//
// Recording hook (item 5 of CH9): `audioTracks()` lists the call's audio tracks right now
// (this page's microphone and every peer's voice), and `onAudioTracks(callback)` is told each
// time that list changes. A recorder (a later feature) mixes them, e.g. with a Web Audio
// MediaStreamAudioDestinationNode, beside the screen recording. See docs/calls.md.
//
// A call outlives this page's socket: the page that holds a call remembers it (sessionStorage,
// per page path) and, back on a new socket (a reload, a network drop, a relay restart), takes
// its place again with `rejoin_call`; peer connections are opened afresh to every peer (a peer
// on a new `seat` came back too). After a relay restart the relay knows no call until the
// agent's page sets it up again; a customer's page waits for that (REJOIN_WAIT_MS).

import { MessageType } from "../protocol.js";
import { loadJson, saveJson } from "../storage.js";
import { CallPhase, hasTurn, isPolite, linkChanges, qualityOf, viewOf } from "./call_model.js";
import { CallMediaError, openCamera, openMedia, openMicrophone } from "./media_devices.js";
import { PeerLink } from "./peer_link.js";

const QUALITY_EVERY_MS = 2000;
// `?ice=relay` in the page's address: TURN candidates only, as on a network that blocks
// direct paths (a diagnostic switch for support staff; the tests and bench_call.py use it).
const URL_ICE_POLICY = new URLSearchParams(window.location.search).get("ice") === "relay" ? "relay" : "all";
const SIGNALS = [MessageType.SDP_OFFER, MessageType.SDP_ANSWER, MessageType.ICE_CANDIDATE];
// The relay keeps an away participant's place 30 s; a customer waiting for the agent's page
// after a relay restart gives up a little later.
const REJOIN_WAIT_MS = 35000;
const HELD_KEY = `rs.call.held:${window.location.pathname}`; // a popup copies sessionStorage

export class CallController {
  /**
   * @param {object} options
   * @param {import("../session_socket.js").SessionSocket} options.socket
   * @param {(controller: CallController) => void} options.onChange redraw
   * @param {"all"|"relay"} [options.iceTransportPolicy] "relay": TURN only (tests, benchmarks)
   * @param {(media: string) => Promise<void>} [options.beforeMedia] awaited before the microphone
   *   and camera open (the desktop app lets its window use them only in a call); a throw is a
   *   failed call
   * @param {(callId: string) => Promise<void>} [options.answerElsewhere] this page cannot call
   *   (the one-time viewer without WebRTC): Answer hands the call to the system browser
   * @param {string|null} [options.autoAnswer] the call to answer as soon as it rings here (the
   *   page the viewer opened in the system browser)
   */
  constructor({
    socket,
    onChange,
    iceTransportPolicy = URL_ICE_POLICY,
    beforeMedia = null,
    answerElsewhere = null,
    autoAnswer = null,
  }) {
    this.answerElsewhere = answerElsewhere;
    this.autoAnswer = autoAnswer;
    this.beforeMedia = beforeMedia; // awaited before the devices open (the desktop app's gate)
    this.socket = socket;
    this.onChange = onChange;
    this.iceTransportPolicy = iceTransportPolicy;
    this.state = null; // the last call_state
    this.view = viewOf(null);
    // The call this page holds ({session_id, call_id, media, muted, camera_off}): kept over a
    // reload, so that the page takes its place again.
    this.held = loadJson(window.sessionStorage, HELD_KEY);
    if (this.held?.session_id !== socket.sessionId) {
      this.held = null;
    }
    this.rejoining = false; // rejoin_call sent, the relay's answer not yet here
    this.returning = false; // taking the place again (until back, or given up): the tile says so
    this._rejoinTimer = null;
    this.linkSeats = new Map(); // peer id -> the seat its link was opened for
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
      socket.on(MessageType.WELCOME, () => this._welcomed()),
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
    if (this.view.phase === CallPhase.INCOMING && this.answerElsewhere) {
      await this._handOff(callId);
      return;
    }
    if (this.view.phase !== CallPhase.INCOMING || !(await this._openMedia(media))) {
      return;
    }
    this.socket.send(MessageType.ANSWER_CALL, { call_id: callId, accept: true });
  }

  /** This page cannot call: the call is answered in the system browser (same seat). */
  async _handOff(callId) {
    this.busy = true;
    this.error = null;
    this.notice = null;
    this._changed();
    try {
      await this.answerElsewhere(callId);
      this.notice = "answered_in_browser";
    } catch (error) {
      console.warn("call: the system browser did not take the call", error);
      this.error = "browser_not_opened";
    } finally {
      this.busy = false;
      this._changed();
    }
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
    this._hold();
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
    this._hold();
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
    this.view = viewOf(message, this.held?.call_id ?? null);
    const phase = this.view.phase;
    if (this.view.rejoining) {
      this._rejoin(); // this page held the call: take the place again (once per socket)
    } else if (phase === CallPhase.ACTIVE || phase === CallPhase.OUTGOING) {
      this._rejoined();
      if (before !== phase) this.error = null;
      const shown = this.view.me;
      if (shown && (shown.muted !== this.muted || shown.camera_off !== this.cameraOff)) {
        this._sendMedia(); // e.g. answered a video call with voice only (no camera)
      }
      this._updateLinks();
    } else if (phase === CallPhase.INCOMING) {
      // Ringing here: nothing to open until the user answers (or answered in the viewer,
      // which opened this page in the system browser to hold the call).
      if (this.autoAnswer && this.autoAnswer === this.view.callId) {
        this.autoAnswer = null;
        queueMicrotask(() => this.accept());
      }
    } else {
      // Ended, elsewhere (another page of mine took the call) or idle: drop the media here.
      this._teardown();
    }
    this._changed();
  }

  _updateLinks() {
    const { open, close } = linkChanges(this.linkSeats, this.view.peers);
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
    this.linkSeats.set(peerId, this.view.peers.find((peer) => peer.id === peerId)?.seat);
    this.linkStates.set(peerId, "connecting");
    return link;
  }

  _closeLink(peerId) {
    this.links.get(peerId)?.close();
    this.links.delete(peerId);
    this.linkSeats.delete(peerId);
    this.remoteStreams.delete(peerId);
    this.linkStates.delete(peerId);
    this.quality.delete(peerId);
    this._audioChanged();
  }

  _signal(message) {
    if (message.call_id !== this.view.callId || this.view.phase !== CallPhase.ACTIVE || this.view.rejoining) {
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
    } else if (error.in_reply_to === MessageType.REJOIN_CALL) {
      // A customer after a relay restart: the agent's page sets the call up again, and its
      // call_state brings this page back (or REJOIN_WAIT_MS runs out). Anything else: over.
      this.rejoining = false;
      if (error.message !== "no such call" || this.socket.role === "agent") {
        this._giveUpRejoin();
      }
    }
  }

  // ---- taking the place again after a reload, a reconnect or a relay restart ---------------

  /** The relay said welcome (again): a call this page held is taken up again. */
  _welcomed() {
    if (this.held) {
      this.rejoining = false; // a new socket: ask on it
      this._rejoin();
    }
  }

  /** Ask for this page's place in the held call (the devices opened again after a reload). */
  async _rejoin() {
    const held = this.held;
    if (!held || this.rejoining) {
      return;
    }
    this.rejoining = true;
    if (!this.returning) {
      this.returning = true;
      clearTimeout(this._rejoinTimer);
      this._rejoinTimer = setTimeout(() => this._giveUpRejoin(), REJOIN_WAIT_MS);
    }
    // The old peer connections lead nowhere now: every peer opens a fresh one to the new seat.
    for (const peerId of [...this.links.keys()]) {
      this._closeLink(peerId);
    }
    this._changed();
    if (!this.localStream && !(await this._openMedia(held.media))) {
      this._giveUpRejoin();
      return;
    }
    if (this.held !== held) {
      return; // hung up meanwhile
    }
    if (held.muted !== this.muted) {
      this.setMuted(held.muted);
    }
    if (held.camera_off && !this.cameraOff) {
      await this.setCameraOff(true);
    }
    this.socket.send(MessageType.REJOIN_CALL, {
      call_id: held.call_id,
      media: held.media,
      muted: this.muted,
      camera_off: this.cameraOff,
    });
  }

  /** The relay shows this page in its place again (or it never left). */
  _rejoined() {
    if (this.returning) {
      clearTimeout(this._rejoinTimer);
      this._rejoinTimer = null;
      this.rejoining = this.returning = false;
    }
    this._hold();
  }

  /** The place could not be taken again: the call is over here, and says so. */
  _giveUpRejoin() {
    const lost = Boolean(this.held);
    this._teardown();
    this.state = null;
    this.view = viewOf(null);
    if (lost) {
      this.error = "lost";
    }
    this._changed();
  }

  /** Remember the call this page holds (or forget it). */
  _hold() {
    const live = (this.view.phase === CallPhase.ACTIVE || this.view.phase === CallPhase.OUTGOING) && !this.view.rejoining;
    this.held = live
      ? {
          session_id: this.socket.sessionId,
          call_id: this.view.callId,
          media: this.view.media,
          muted: this.muted,
          camera_off: this.cameraOff,
        }
      : this.held;
    saveJson(window.sessionStorage, HELD_KEY, this.held);
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
    const inCall = this.view.phase === CallPhase.ACTIVE || this.view.phase === CallPhase.OUTGOING;
    if (inCall && !this.view.rejoining) {
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
    clearTimeout(this._rejoinTimer);
    this._rejoinTimer = null;
    this.rejoining = this.returning = false;
    this.held = null; // over here: a reload does not bring it back
    saveJson(window.sessionStorage, HELD_KEY, null);
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
      seats: Object.fromEntries(this.linkSeats),
      rejoining: this.view.rejoining || this.returning,
      held: this.held?.call_id ?? null,
      muted: this.muted,
      cameraOff: this.cameraOff,
      error: this.error,
      notice: this.notice,
      answersElsewhere: Boolean(this.answerElsewhere),
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

  /** The page leaves the session (or signs out): a call held here is hung up, not left away. */
  destroy() {
    const inCall = this.view.phase === CallPhase.ACTIVE || this.view.phase === CallPhase.OUTGOING;
    if (inCall && this.view.callId && this.socket.online) {
      this.socket.send(MessageType.HANG_UP, { call_id: this.view.callId });
    }
    this._teardown();
    for (const unsubscribe of this._unsubscribe) {
      unsubscribe();
    }
  }
}
