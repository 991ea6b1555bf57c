// The call on screen (CH9): the incoming-call prompt, the tile with each peer's video (or
// name, in a voice call), the self-view, mute / camera / devices / hang up, the connection's
// state and quality, and errors that say what to do. Drawn from a CallController; the tile
// floats (movable by its top bar) beside the chat or over the shared screen, and sits at the
// top of the page on a phone.

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { CallPhase } from "./call_model.js";
import { listDevices, useSpeaker } from "./media_devices.js";

const ENDED_SHOWN_MS = 8000;

export class CallTile {
  /**
   * @param {object} options
   * @param {import("./call_controller.js").CallController} options.controller
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {HTMLElement} options.parent where the tile goes
   * @param {"chat"|"viewer"} [options.place] this page (for "you are in the call in …")
   * @param {boolean} [options.floating] a movable tile over the page (else in the flow)
   * @param {boolean} [options.pip] picture-in-picture over the shared screen (the viewer)
   */
  constructor({ controller, i18n, parent, place = "chat", floating = true, pip = false }) {
    this.controller = controller;
    this.i18n = i18n;
    this.place = place;
    this._peerViews = new Map(); // peer id -> {figure, video, caption, badges}
    this._endedTimer = null;
    this._shownEnded = null;
    const variant = pip ? " rs-call--floating rs-call--pip" : floating ? " rs-call--floating" : "";
    this.element = element("section", `rs-call${variant}`, {
      "data-testid": "call-tile",
      "data-i18n-aria-label": "call.tile_label",
      "aria-label": i18n.t("call.tile_label"),
    });
    this.element.hidden = true;
    this._build();
    parent.append(this.element);
    if (floating) {
      this._makeMovable();
    }
    this._offLanguage = i18n.onChange(() => this.render());
  }

  _build() {
    this.grip = element("div", "rs-call__grip", { "aria-hidden": "true" });
    this.prompt = element("div", "rs-call__prompt", { "data-testid": "call-prompt", role: "alertdialog" });
    this.promptText = element("p", "rs-call__prompt-text", { id: `call-prompt-${Math.random().toString(36).slice(2)}` });
    this.promptHint = element("p", "rs-call__hint");
    this.acceptButton = this._button("call-accept", "rs-button--primary", "phone", () => this.controller.accept());
    this.declineButton = this._button("call-decline", "rs-button--danger", "hangUp", () => this.controller.decline());
    const promptActions = element("div", "rs-call__actions");
    promptActions.append(this.acceptButton, this.declineButton);
    this.prompt.setAttribute("aria-labelledby", this.promptText.id);
    this.prompt.append(this.promptText, this.promptHint, promptActions);

    this.stage = element("div", "rs-call__stage");
    this.peers = element("div", "rs-call__peers", { "data-testid": "call-peers" });
    this.selfView = element("figure", "rs-call__self");
    this.selfVideo = element("video", "rs-call__self-video", {
      "data-testid": "call-self-video",
      autoplay: "",
      playsinline: "",
    });
    this.selfVideo.muted = true; // never play one's own voice back
    const selfName = element("figcaption", "rs-call__name rs-call__self-name");
    this.i18n.bind(selfName, "call.you");
    this.selfView.append(this.selfVideo, selfName);
    this.stage.append(this.peers, this.selfView);

    this.status = element("p", "rs-call__status", { "data-testid": "call-status", role: "status" });
    this.qualityLine = element("p", "rs-call__quality", { "data-testid": "call-quality" });

    this.muteButton = this._toggle("call-mute", "mic", () => this.controller.setMuted(!this.controller.muted));
    this.cameraButton = this._toggle("call-camera", "video", () =>
      this.controller.setCameraOff(!this.controller.cameraOff),
    );
    this.devicesButton = this._toggle("call-devices", "gear", () => this._toggleDevices());
    this.hangUpButton = this._button("call-hangup", "rs-button--danger", "hangUp", () => this.controller.hangUp());
    this.controls = element("div", "rs-call__controls", { role: "toolbar" });
    this.controls.append(this.muteButton, this.cameraButton, this.devicesButton, this.hangUpButton);

    this.devicePanel = element("div", "rs-call__devices", { "data-testid": "call-device-panel" });
    this.devicePanel.hidden = true;
    this.pickers = {};
    for (const [kind, key, list] of [
      ["audio", "call.microphone", "audioinput"],
      ["video", "call.camera", "videoinput"],
      ["speaker", "call.speaker", "audiooutput"],
    ]) {
      const label = element("label", "rs-call__picker");
      const caption = element("span", "rs-label");
      this.i18n.bind(caption, key);
      const select = element("select", "rs-select", { "data-testid": `call-pick-${kind}` });
      select.addEventListener("change", () => this.controller.setDevice(kind, select.value));
      label.append(caption, select);
      this.pickers[kind] = { label, select, list };
      this.devicePanel.append(label);
    }
    this.speakerNote = element("p", "rs-call__hint");
    this.devicePanel.append(this.speakerNote);

    this.message = element("div", "rs-call__message", { "data-testid": "call-message", role: "alert" });
    this.messageText = element("p", "rs-call__message-text");
    this.messageClose = this._button("call-message-close", "rs-button--secondary rs-button--small", null, () => {
      this._shownEnded = this.controller.view.callId;
      this.controller.dismiss();
      this.render();
    });
    this.message.append(this.messageText, this.messageClose);

    this.element.append(this.grip, this.prompt, this.stage, this.status, this.qualityLine, this.controls, this.devicePanel, this.message);
  }

  _button(testId, variant, icon, onClick) {
    const button = element("button", `rs-button ${variant}`, { type: "button", "data-testid": testId });
    if (icon) {
      button.append(iconElement(icon));
    }
    button.append(element("span", "rs-call__button-text"));
    button.addEventListener("click", onClick);
    return button;
  }

  _toggle(testId, icon, onClick) {
    const button = element("button", "rs-call__round", { type: "button", "data-testid": testId });
    button.append(iconElement(icon));
    button.addEventListener("click", onClick);
    return button;
  }

  _label(button, key, params) {
    const text = this.i18n.t(key, params);
    const span = button.querySelector(".rs-call__button-text");
    if (span) {
      span.textContent = text;
    } else {
      button.setAttribute("aria-label", text);
      button.title = text;
    }
  }

  /** Redraw from the controller (called on each of its changes). */
  render() {
    const c = this.controller;
    const view = c.view;
    const phase = view.phase;
    clearTimeout(this._endedTimer);
    const endedShown = phase === CallPhase.ENDED && this._shownEnded !== view.callId;
    const showMessage = Boolean(c.error || c.notice);
    this.element.dataset.phase = phase;
    // Back after a relay restart the page may have no call_state yet: the call it held says.
    const media = !view.callId && c.returning ? (c.held?.media ?? view.media) : view.media;
    this.element.dataset.media = media;
    this.element.hidden = !(
      phase === CallPhase.INCOMING || phase === CallPhase.OUTGOING || phase === CallPhase.ACTIVE ||
      phase === CallPhase.ELSEWHERE || endedShown || showMessage || c.busy || c.returning
    );
    // Taking its place again after a relay restart, the page may have no call_state yet.
    const inCall = phase === CallPhase.ACTIVE || phase === CallPhase.OUTGOING || c.returning;
    this.prompt.hidden = phase !== CallPhase.INCOMING;
    this.stage.hidden = !inCall;
    this.controls.hidden = !inCall;
    if (!inCall) {
      this.devicePanel.hidden = true;
    }
    this.qualityLine.hidden = phase !== CallPhase.ACTIVE || view.peers.length === 0;

    if (phase === CallPhase.INCOMING) {
      const caller = c.state?.participants?.find((p) => p.role === "agent")?.name ?? "";
      this.promptText.textContent = this.i18n.t(view.media === "video" ? "call.incoming_video" : "call.incoming_audio", { name: caller });
      // The one-time viewer without WebRTC: Answer opens the call in the system browser.
      const elsewhere = Boolean(c.answerElsewhere);
      this.promptHint.textContent = this.i18n.t(elsewhere ? "call.incoming_hint_browser" : "call.incoming_hint");
      this._label(this.acceptButton, elsewhere ? "call.accept_in_browser" : "call.accept");
      this._label(this.declineButton, "call.decline");
      this.acceptButton.disabled = c.busy || c.notice === "answered_in_browser"; // once is enough
    }
    this._label(this.hangUpButton, phase === CallPhase.OUTGOING ? "call.calling_cancel" : "call.hang_up");
    this._label(this.muteButton, c.muted ? "call.unmute" : "call.mute");
    this.muteButton.replaceChildren(iconElement(c.muted ? "micOff" : "mic"));
    this.muteButton.setAttribute("aria-pressed", String(c.muted));
    this._label(this.cameraButton, c.cameraOff ? "call.camera_on" : "call.camera_off");
    this.cameraButton.replaceChildren(iconElement(c.cameraOff ? "videoOff" : "video"));
    this.cameraButton.setAttribute("aria-pressed", String(c.cameraOff));
    this.cameraButton.hidden = media !== "video";
    this._label(this.devicesButton, "call.devices");
    this.devicesButton.setAttribute("aria-expanded", String(!this.devicePanel.hidden));

    this._renderPeers(view);
    if (this.selfVideo.srcObject !== c.localStream) {
      this.selfVideo.srcObject = c.localStream;
    }
    this.selfView.hidden = media !== "video" || c.cameraOff || !c.localStream;

    this.status.textContent = this._statusText(view, endedShown);
    this.status.hidden = this.status.textContent === "";
    this._renderQuality(view);
    this.messageText.textContent = c.error ? this.i18n.t(`call.error.${c.error}`) : c.notice ? this.i18n.t(`call.notice.${c.notice}`) : "";
    this.message.dataset.kind = c.error ? "error" : c.notice ? "notice" : "plain";
    this.message.hidden = !showMessage && !endedShown; // "Close" under an ended call's line
    this._label(this.messageClose, "call.dismiss");
    if (endedShown && !showMessage) {
      this._endedTimer = setTimeout(() => {
        this._shownEnded = view.callId;
        this.render();
      }, ENDED_SHOWN_MS);
    }
  }

  _statusText(view, endedShown) {
    const c = this.controller;
    if (c.busy) {
      return this.i18n.t("call.opening_devices");
    }
    if (view.rejoining || c.returning) {
      return this.i18n.t("call.rejoining");
    }
    switch (view.phase) {
      case CallPhase.OUTGOING: {
        const names = view.invited.map((p) => p.name).join(", ");
        return this.i18n.t("call.calling", { name: names });
      }
      case CallPhase.ACTIVE: {
        const states = [...c.linkStates.values()];
        if (view.away.length > 0 && view.peers.length === 0) {
          return this.i18n.t("call.peer_away", { name: view.away.map((p) => p.name).join(", ") });
        }
        if (states.includes("failed")) return this.i18n.t("call.failed");
        if (states.includes("relaying_attempt")) return this.i18n.t("call.relaying_attempt");
        if (states.includes("reconnecting")) return this.i18n.t("call.reconnecting");
        if (states.length === 0 || states.includes("connecting")) return this.i18n.t("call.connecting");
        if (states.includes("relaying")) return this.i18n.t("call.relaying");
        return "";
      }
      case CallPhase.ELSEWHERE:
        return this.i18n.t(this.place === "chat" ? "call.elsewhere_viewer" : "call.elsewhere_chat");
      case CallPhase.ENDED: {
        if (!endedShown) return "";
        const customer = (c.state?.participants ?? []).find((p) => p.role === "customer" && p.state === "declined");
        if (view.reason === "declined" && customer && view.me?.role === "agent") {
          return this.i18n.t("call.ended_declined", { name: customer.name });
        }
        if (view.reason === "no_answer" && view.me?.role === "agent") return this.i18n.t("call.ended_no_answer");
        if (view.reason === "session_ended") return this.i18n.t("call.ended_session");
        return this.i18n.t("call.ended");
      }
      default:
        return "";
    }
  }

  _renderPeers(view) {
    const wanted = new Set(view.peers.map((p) => p.id));
    for (const [id, peerView] of this._peerViews) {
      if (!wanted.has(id)) {
        peerView.figure.remove();
        this._peerViews.delete(id);
      }
    }
    for (const peer of view.peers) {
      let peerView = this._peerViews.get(peer.id);
      if (!peerView) {
        const figure = element("figure", "rs-call__peer", { "data-peer": peer.id, "data-testid": "call-peer" });
        const video = element("video", "rs-call__video", { autoplay: "", playsinline: "", "data-testid": "call-remote-video" });
        const caption = element("figcaption", "rs-call__name");
        const badges = element("span", "rs-call__badges");
        caption.append(badges);
        figure.append(video, caption);
        this.peers.append(figure);
        peerView = { figure, video, caption, badges, name: element("span") };
        caption.prepend(peerView.name);
        this._peerViews.set(peer.id, peerView);
      }
      const stream = this.controller.remoteStreams.get(peer.id) ?? null;
      if (peerView.video.srcObject !== stream) {
        peerView.video.srcObject = stream;
        peerView.video.play?.().catch(() => {});
      }
      if (this.controller.devices.speakerId && peerView.sink !== this.controller.devices.speakerId) {
        peerView.sink = this.controller.devices.speakerId;
        useSpeaker(peerView.video, peerView.sink);
      }
      peerView.figure.dataset.cameraOff = String(peer.camera_off || this.controller.view.media !== "video");
      peerView.name.textContent = peer.name;
      peerView.badges.replaceChildren();
      if (peer.muted) {
        const badge = element("span", "rs-call__badge", { title: this.i18n.t("call.peer_muted"), "data-testid": "call-peer-muted" });
        badge.append(iconElement("micOff"));
        peerView.badges.append(badge);
      }
      if (peer.camera_off && view.media === "video") {
        const badge = element("span", "rs-call__badge", { title: this.i18n.t("call.peer_camera_off") });
        badge.append(iconElement("videoOff"));
        peerView.badges.append(badge);
      }
    }
    this.peers.dataset.count = String(view.peers.length);
  }

  _renderQuality(view) {
    const measured = [...this.controller.quality.values()];
    if (measured.length === 0) {
      this.qualityLine.textContent = "";
      return;
    }
    // The worst link speaks for the call.
    const order = { poor: 3, fair: 2, good: 1, unknown: 0 };
    const worst = measured.reduce((a, b) => (order[b.grade] > order[a.grade] ? b : a));
    this.qualityLine.dataset.grade = worst.grade;
    this.qualityLine.textContent = this.i18n.t("call.quality", {
      grade: this.i18n.t(`call.quality_${worst.grade}`),
      rtt: worst.rttMs === null ? "–" : Math.round(worst.rttMs),
      loss: worst.lossPct === null ? "0" : worst.lossPct.toFixed(1),
    });
  }

  async _toggleDevices() {
    const open = this.devicePanel.hidden;
    this.devicePanel.hidden = !open;
    this.devicesButton.setAttribute("aria-expanded", String(open));
    if (!open) {
      return;
    }
    const lists = await listDevices();
    const chosen = { audio: this.controller.devices.audioId, video: this.controller.devices.videoId, speaker: this.controller.devices.speakerId };
    for (const [kind, picker] of Object.entries(this.pickers)) {
      const options = [element("option", "", { value: "" }, this.i18n.t("call.device_default"))];
      for (const [index, device] of lists[picker.list].entries()) {
        if (device.deviceId === "default" || device.deviceId === "") continue;
        options.push(element("option", "", { value: device.deviceId }, device.label || `${this.i18n.t(`call.${kind === "audio" ? "microphone" : kind === "video" ? "camera" : "speaker"}`)} ${index + 1}`));
      }
      picker.select.replaceChildren(...options);
      picker.select.value = chosen[kind] || "";
    }
    const canPickSpeaker = "setSinkId" in HTMLMediaElement.prototype;
    this.pickers.speaker.label.hidden = !canPickSpeaker;
    this.pickers.video.label.hidden = this.controller.view.media !== "video";
    this.speakerNote.textContent = canPickSpeaker ? "" : this.i18n.t("call.speaker_unavailable");
    this.speakerNote.hidden = canPickSpeaker;
  }

  /** Drag the floating tile by its top bar (stays inside the window). */
  _makeMovable() {
    let start = null;
    this.grip.addEventListener("pointerdown", (event) => {
      const box = this.element.getBoundingClientRect();
      start = { x: event.clientX - box.left, y: event.clientY - box.top };
      this.grip.setPointerCapture(event.pointerId);
    });
    this.grip.addEventListener("pointermove", (event) => {
      if (!start) return;
      // Fixed: the window is the frame; picture-in-picture: the shared screen's area.
      const frame = this.element.offsetParent?.getBoundingClientRect() ?? {
        left: 0, top: 0, width: window.innerWidth, height: window.innerHeight,
      };
      const box = this.element.getBoundingClientRect();
      const left = Math.min(Math.max(0, event.clientX - start.x - frame.left), frame.width - box.width);
      const top = Math.min(Math.max(0, event.clientY - start.y - frame.top), frame.height - box.height);
      this.element.style.left = `${left}px`;
      this.element.style.top = `${top}px`;
      this.element.style.right = "auto";
      this.element.style.bottom = "auto";
    });
    const stop = () => (start = null);
    this.grip.addEventListener("pointerup", stop);
    this.grip.addEventListener("pointercancel", stop);
  }

  destroy() {
    clearTimeout(this._endedTimer);
    this._offLanguage?.();
    this.element.remove();
  }
}

/**
 * The agent's "Voice call" / "Video call" buttons (disabled while a call is on, and while
 * `canCall()` says no: no customer connected). `onStart(media)` starts the call (default
 * `controller.start`; the desktop app's chat window may send it to the system browser).
 * @returns {{element: HTMLElement, render: () => void}}
 */
export function callButtons({ controller, i18n, canCall = () => true, onStart = (media) => controller.start(media) }) {
  const group = element("span", "rs-call-buttons", { "data-testid": "call-buttons" });
  const make = (media, key, icon) => {
    const button = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": `call-start-${media}`,
    });
    const text = element("span", "rs-call-buttons__text");
    i18n.bind(text, key);
    button.append(iconElement(icon), text);
    const title = () => (button.title = i18n.t(key)); // the name, when only the icon shows
    title();
    i18n.onChange(title);
    button.addEventListener("click", () => onStart(media));
    group.append(button);
    return button;
  };
  const voice = make("audio", "call.start_voice", "phone");
  const video = make("video", "call.start_video", "video");
  const render = () => {
    const phase = controller.view.phase;
    const free = phase === CallPhase.IDLE || phase === CallPhase.ENDED;
    voice.disabled = video.disabled = !free || controller.busy || !canCall();
  };
  render();
  return { element: group, render };
}
