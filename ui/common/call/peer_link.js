// One WebRTC peer connection to one other participant of the call (CH9), with the "perfect
// negotiation" pattern (W3C WebRTC, section 10.x example): either side may (re)negotiate at any
// time; on an offer collision the polite peer (the lower participant id) rolls back and
// answers, the impolite one ignores the other's offer. The impolite peer adds its tracks at
// once and so makes the first offer; the polite one adds them when that offer arrives, to
// the transceivers the offer made (one round trip, no glare).
//
// Signalling goes out through `signal(type, fields)` (the session socket) and comes in
// through handle(). Events through the callbacks of the constructor.

import { MessageType } from "../protocol.js";

const RELAY_FALLBACK_AFTER_MS = 4000; // this long without a path: try TURN only
// No path at all this long (after the relay attempt, or without TURN): the call could not
// connect. Without any candidate pair (UDP blocked, TURN unreachable) ICE never even reaches
// "checking" or "failed" by itself, and the page said "Connecting…" for ever.
const GIVE_UP_AFTER_MS = 15000;

export class PeerLink {
  /**
   * @param {object} options
   * @param {string} options.peerId the other participant
   * @param {boolean} options.polite
   * @param {RTCConfiguration} options.config iceServers, iceTransportPolicy
   * @param {MediaStream} options.localStream
   * @param {(type: string, fields: object) => void} options.signal
   * @param {(stream: MediaStream) => void} options.onStream the peer's media
   * @param {(state: string) => void} options.onState connecting, connected, relaying,
   *   reconnecting, failed, closed
   * @param {boolean} [options.canRelay] a TURN server is configured: fall back to it
   */
  constructor({ peerId, polite, config, localStream, signal, onStream, onState, canRelay = false }) {
    this.peerId = peerId;
    this.polite = polite;
    this.config = config;
    this.localStream = localStream;
    this.signal = signal;
    this.onStream = onStream;
    this.onState = onState;
    this.canRelay = canRelay && config.iceTransportPolicy !== "relay";
    this.remoteStream = new MediaStream();
    this.state = "connecting";
    this.relayOnly = config.iceTransportPolicy === "relay";
    this._makingOffer = false;
    this._ignoreOffer = false;
    this._tracksAdded = false;
    this._pendingCandidates = [];
    this._fallbackTimer = null;
    this._giveUpTimer = null;
    this.pc = new RTCPeerConnection(config);
    this._wire();
    // Counted from the start, not from "checking": with no candidate pair ICE never checks.
    if (this.canRelay) {
      this._fallbackTimer = setTimeout(() => this._tryRelay(), RELAY_FALLBACK_AFTER_MS);
    } else {
      this._giveUpTimer = setTimeout(() => this._giveUp(), GIVE_UP_AFTER_MS);
    }
    if (!polite) {
      this._addTracks();
    }
  }

  /** The local tracks go out on this link (the impolite peer at once, the polite one on offer). */
  _addTracks() {
    if (this._tracksAdded) {
      return;
    }
    this._tracksAdded = true;
    for (const track of this.localStream.getTracks()) {
      this.pc.addTrack(track, this.localStream);
    }
  }

  _wire() {
    const pc = this.pc;
    pc.onnegotiationneeded = async () => {
      try {
        this._makingOffer = true;
        await pc.setLocalDescription();
        this.signal(MessageType.SDP_OFFER, { sdp: pc.localDescription.sdp });
      } catch (error) {
        console.warn("call: offer failed", error);
      } finally {
        this._makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      if (candidate && candidate.candidate) {
        const fields = { candidate: candidate.candidate };
        if (candidate.sdpMid !== null) fields.sdp_mid = candidate.sdpMid;
        if (candidate.sdpMLineIndex !== null) fields.sdp_m_line_index = candidate.sdpMLineIndex;
        this.signal(MessageType.ICE_CANDIDATE, fields);
      }
    };
    pc.ontrack = ({ track }) => {
      this.remoteStream.addTrack(track);
      this.onStream(this.remoteStream);
    };
    pc.onconnectionstatechange = () => this._connectionChanged();
  }

  _connectionChanged() {
    const state = this.pc.connectionState;
    if (state === "connected") {
      clearTimeout(this._fallbackTimer);
      clearTimeout(this._giveUpTimer);
      this._fallbackTimer = this._giveUpTimer = null;
      this._setState(this.relayOnly ? "relaying" : "connected");
    } else if (state === "disconnected") {
      this._setState("reconnecting");
    } else if (state === "failed") {
      if (this.canRelay && !this.relayOnly) {
        this._tryRelay();
      } else {
        this._setState("failed");
      }
    }
  }

  /** No direct path (yet): ask for a TURN relay only and restart ICE ("trying through the relay…"). */
  _tryRelay() {
    if (this.relayOnly || this.pc.connectionState === "connected" || this.state === "closed") {
      return;
    }
    this.relayOnly = true;
    this._setState("relaying_attempt");
    clearTimeout(this._giveUpTimer);
    this._giveUpTimer = setTimeout(() => this._giveUp(), GIVE_UP_AFTER_MS);
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceTransportPolicy: "relay" });
    } catch (error) {
      console.warn("call: cannot switch to relay", error);
    }
    this.pc.restartIce();
  }

  /** Still no path: say so ("The call could not connect"); a path found later still counts. */
  _giveUp() {
    if (this.pc.connectionState !== "connected" && this.state !== "closed") {
      this._setState("failed");
    }
  }

  _setState(state) {
    if (this.state !== state && this.state !== "closed") {
      this.state = state;
      this.onState(state);
    }
  }

  /** A signal from this peer (sdp_offer, sdp_answer, ice_candidate). */
  async handle(message) {
    const pc = this.pc;
    try {
      if (message.type === MessageType.SDP_OFFER || message.type === MessageType.SDP_ANSWER) {
        const description = {
          type: message.type === MessageType.SDP_OFFER ? "offer" : "answer",
          sdp: message.sdp,
        };
        const collision =
          description.type === "offer" && (this._makingOffer || pc.signalingState !== "stable");
        this._ignoreOffer = !this.polite && collision;
        if (this._ignoreOffer) {
          return;
        }
        await pc.setRemoteDescription(description); // rolls back a local offer when polite
        if (description.type === "offer") {
          this._addTracks();
          await pc.setLocalDescription();
          this.signal(MessageType.SDP_ANSWER, { sdp: pc.localDescription.sdp });
        }
        for (const candidate of this._pendingCandidates.splice(0)) {
          await pc.addIceCandidate(candidate).catch(() => {});
        }
      } else if (message.type === MessageType.ICE_CANDIDATE) {
        const candidate = {
          candidate: message.candidate,
          sdpMid: message.sdp_mid ?? null,
          sdpMLineIndex: message.sdp_m_line_index ?? null,
        };
        if (!pc.remoteDescription) {
          this._pendingCandidates.push(candidate);
          return;
        }
        try {
          await pc.addIceCandidate(candidate);
        } catch (error) {
          if (!this._ignoreOffer) {
            console.warn("call: bad candidate", error);
          }
        }
      }
    } catch (error) {
      console.warn("call: signalling failed", error);
    }
  }

  /**
   * Swap the local track of one kind (another microphone or camera; null: camera off, no
   * frames at all) without renegotiating.
   */
  async replaceTrack(kind, track) {
    for (const transceiver of this.pc.getTransceivers()) {
      if (transceiver.receiver.track.kind === kind && !transceiver.stopped) {
        await transceiver.sender.replaceTrack(track);
      }
    }
  }

  getStats() {
    return this.pc.getStats();
  }

  close() {
    clearTimeout(this._fallbackTimer);
    clearTimeout(this._giveUpTimer);
    this.state = "closed";
    this.pc.close();
    this.onState("closed");
  }
}
