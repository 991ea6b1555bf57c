// What a page shows and does for the session's call (CH9), from the relay's `call_state`: pure,
// no DOM and no WebRTC. The relay sends the whole call on every change, each copy naming its
// receiver (`you`) and saying whether this very socket holds the receiver's place (`here`).
//
// Phases of this page:
//   idle       no call
//   incoming   the call rings for me, and I have not answered on any page
//   outgoing   I started it (agent); nobody has joined yet
//   active     I am in it on this page (peers are those who joined); `rejoining` while this
//              page, back on a new socket (a reload, a reconnect, a relay restart), takes its
//              place again (rejoin_call)
//   elsewhere  I am in it on another page of mine (the chat tab or a viewer)
//   ended      it is over; `reason` says why (hung_up, declined, no_answer, session_ended)

/** Participant states in `call_state.participants[].state`. */
export const Presence = Object.freeze({
  INVITED: "invited",
  JOINED: "joined",
  DECLINED: "declined",
  MISSED: "missed",
  LEFT: "left",
  AWAY: "away", // joined, but their page's socket closed: back within the relay's grace
});

export const CallPhase = Object.freeze({
  IDLE: "idle",
  INCOMING: "incoming",
  OUTGOING: "outgoing",
  ACTIVE: "active",
  ELSEWHERE: "elsewhere",
  ENDED: "ended",
});

/**
 * The page's view of one `call_state`.
 * @param {object|null} state the last call_state (or null)
 * @param {string|null} [heldCallId] the call this page held before its socket closed
 * @returns {{phase: string, callId: string|null, media: string, me: object|null,
 *   peers: Array<object>, invited: Array<object>, away: Array<object>, rejoining: boolean,
 *   reason: string|null, iceServers: Array}}
 */
export function viewOf(state, heldCallId = null) {
  if (!state) {
    return { phase: CallPhase.IDLE, callId: null, media: "audio", me: null, peers: [], invited: [], away: [], rejoining: false, reason: null, iceServers: [] };
  }
  const participants = Array.isArray(state.participants) ? state.participants : [];
  const me = participants.find((p) => p.id === state.you) ?? null;
  const others = participants.filter((p) => p.id !== state.you);
  const view = {
    phase: CallPhase.IDLE,
    callId: state.call_id,
    media: state.media === "video" ? "video" : "audio",
    me,
    peers: others.filter((p) => p.state === Presence.JOINED),
    invited: others.filter((p) => p.state === Presence.INVITED),
    away: others.filter((p) => p.state === Presence.AWAY),
    rejoining: false,
    reason: state.reason ?? null,
    iceServers: Array.isArray(state.ice_servers) ? state.ice_servers : [],
  };
  if (state.state === "ended") {
    view.phase = me ? CallPhase.ENDED : CallPhase.IDLE;
    view.peers = [];
  } else if (!me) {
    view.phase = CallPhase.IDLE; // a call I am not part of
  } else if (me.state === Presence.JOINED) {
    if (!state.here) {
      view.phase = CallPhase.ELSEWHERE;
    } else if (view.peers.length === 0 && state.state === "ringing") {
      view.phase = CallPhase.OUTGOING;
    } else {
      view.phase = CallPhase.ACTIVE;
    }
  } else if (me.state === Presence.INVITED) {
    view.phase = CallPhase.INCOMING;
  } else if (me.state === Presence.AWAY && heldCallId === state.call_id) {
    view.phase = CallPhase.ACTIVE; // this page held it: it takes its place again
    view.rejoining = true;
  } else {
    view.phase = CallPhase.IDLE; // I declined, missed or left it; it goes on without me
  }
  return view;
}

/**
 * Of two participants, the one with the lower id is the "polite" peer of perfect negotiation
 * (it yields on an offer collision); the other makes the first offer.
 */
export function isPolite(myId, peerId) {
  return myId < peerId;
}

/**
 * Which peer links to open and close when the joined peers change. A peer on a new `seat`
 * (its page came back on a new socket) gets a fresh link: its old peer connection is gone.
 * @param {Map<string, number>|Iterable<string>} linked the peers with a link now (by id, or
 *   id → the seat the link was opened for)
 * @param {Array<{id: string, seat?: number}>} peers the joined peers of the new state
 * @returns {{open: string[], close: string[]}}
 */
export function linkChanges(linked, peers) {
  const have = linked instanceof Map ? linked : new Map([...linked].map((id) => [id, undefined]));
  const wanted = new Map(peers.map((p) => [p.id, p.seat]));
  const stale = (id) => have.get(id) !== undefined && wanted.get(id) !== undefined && have.get(id) !== wanted.get(id);
  const close = [...have.keys()].filter((id) => !wanted.has(id) || stale(id));
  return {
    open: [...wanted.keys()].filter((id) => !have.has(id) || stale(id)),
    close,
  };
}

/** True when the ICE servers include a TURN server (a relayed fallback is possible). */
export function hasTurn(iceServers) {
  return iceServers.some((server) =>
    [].concat(server.urls ?? []).some((url) => /^turns?:/.test(String(url))),
  );
}

/**
 * A getUserMedia / device failure as a string key: what the user can do about it differs.
 * @param {Error|DOMException} error
 * @returns {"permission_denied"|"no_device"|"device_in_use"|"insecure"|"unsupported"|"failed"}
 */
export function mediaErrorKey(error) {
  switch (error?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "permission_denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "no_device";
    case "NotReadableError":
    case "AbortError":
      return "device_in_use";
    case "InsecureContextError":
      return "insecure";
    case "UnsupportedError":
      return "unsupported";
    default:
      return "failed";
  }
}

/**
 * Network quality from one getStats() report of a peer connection.
 * @param {Iterable<object>} stats the RTCStatsReport's values
 * @param {object|null} previous the last result (for loss over the interval)
 * @returns {{rttMs: number|null, lossPct: number|null, relayed: boolean, framesDecoded: number,
 *   audioPackets: number, jitterBufferMs: number|null, audioLevel: number|null,
 *   audioEnergy: number, localCandidateType: string|null, remoteCandidateType: string|null,
 *   packetsReceived: number, packetsLost: number, grade: "good"|"fair"|"poor"|"unknown"}}
 */
export function qualityOf(stats, previous = null) {
  const byId = new Map();
  for (const entry of stats) {
    byId.set(entry.id, entry);
  }
  let pair = null;
  for (const entry of byId.values()) {
    if (entry.type === "transport" && entry.selectedCandidatePairId) {
      pair = byId.get(entry.selectedCandidatePairId) ?? pair;
    }
  }
  if (!pair) {
    for (const entry of byId.values()) {
      if (entry.type === "candidate-pair" && entry.nominated && entry.state === "succeeded") {
        pair = entry;
      }
    }
  }
  const local = pair ? byId.get(pair.localCandidateId) : null;
  const remote = pair ? byId.get(pair.remoteCandidateId) : null;
  let packetsReceived = 0;
  let packetsLost = 0;
  let framesDecoded = 0;
  let audioPackets = 0;
  let jitterBufferMs = null;
  let audioLevel = null;
  let audioEnergy = 0;
  let jitterDelayS = 0; // cumulative: a reader takes differences for a recent value
  let jitterEmitted = 0;
  for (const entry of byId.values()) {
    if (entry.type !== "inbound-rtp") {
      continue;
    }
    packetsReceived += entry.packetsReceived ?? 0;
    packetsLost += Math.max(0, entry.packetsLost ?? 0);
    if (entry.kind === "video") {
      framesDecoded += entry.framesDecoded ?? 0;
    } else if (entry.kind === "audio") {
      audioPackets += entry.packetsReceived ?? 0;
      jitterDelayS += entry.jitterBufferDelay ?? 0;
      jitterEmitted += entry.jitterBufferEmittedCount ?? 0;
      if (entry.jitterBufferEmittedCount > 0) {
        jitterBufferMs = (1000 * entry.jitterBufferDelay) / entry.jitterBufferEmittedCount;
      }
      audioLevel = entry.audioLevel ?? audioLevel;
      audioEnergy += entry.totalAudioEnergy ?? 0;
    }
  }
  const rttMs = pair && pair.currentRoundTripTime !== undefined ? pair.currentRoundTripTime * 1000 : null;
  let lossPct = null;
  const received = packetsReceived - (previous?.packetsReceived ?? 0);
  const lost = packetsLost - (previous?.packetsLost ?? 0);
  if (received + lost > 0) {
    lossPct = (100 * Math.max(0, lost)) / (received + Math.max(0, lost));
  }
  let grade = "unknown";
  if (rttMs !== null || lossPct !== null) {
    const r = rttMs ?? 0;
    const l = lossPct ?? 0;
    grade = l > 8 || r > 500 ? "poor" : l > 2 || r > 250 ? "fair" : "good";
  }
  const relayed = local?.candidateType === "relay" || remote?.candidateType === "relay";
  return {
    rttMs, lossPct, relayed, framesDecoded, audioPackets, jitterBufferMs, audioLevel, audioEnergy,
    jitterDelayS, jitterEmitted,
    packetsReceived, packetsLost, grade,
    localCandidateType: local?.candidateType ?? null,
    remoteCandidateType: remote?.candidateType ?? null,
  };
}
