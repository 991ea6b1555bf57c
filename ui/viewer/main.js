// The viewer (CH6, P1, P7): the agent's shared screen in the customer's browser, zero install.
//
// Opened from the customer's chat at /view in the same origin, it takes the session id and
// customer token from sessionStorage (window.open copies the opener's sessionStorage), opens
// the customer's screen socket, paints region frames in arrival order, acknowledges each one
// after painting it, and shows the presentation's state over the picture.

import { CallController } from "../common/call/call_controller.js";
import { CallTile } from "../common/call/call_tile.js";
import { byId } from "../common/dom.js";
import { fillIcons } from "../common/icons.js";
import { i18n } from "../common/i18n.js";
import { CloseCode, MessageType } from "../common/protocol.js";
import { ScreenCursor } from "../common/screen/cursor.js";
import { DecoderMode, FrameDecoder } from "../common/screen/decoder.js";
import { FrameError, FrameKind, parseFrame } from "../common/screen/frame.js";
import { VideoStreamDecoder } from "../common/screen/video_decoder.js";
import { frameKindOf, parseVideoFrame } from "../common/screen/video_frame.js";
import { ScreenNavigator } from "../common/screen/navigator.js";
import { ScreenPainter } from "../common/screen/painter.js";
import { SessionSocket } from "../common/session_socket.js";
import { loadJson } from "../common/storage.js";
import { attachViewerFiles } from "./viewer_files.js";
import { ViewerEnd } from "./viewer_end.js";
import { RemoteInput } from "./remote_input.js";
import { ViewerDrawing } from "./viewer_drawing.js";
import { MoreMenu } from "./more_menu.js"; // a phone's bar: the less used tools behind "More"
import { CONTROL_STRINGS } from "../common/strings/control_strings.js";
import { DRAWING_STRINGS } from "../common/strings/drawing_strings.js";
import { FAVOURITE_STRINGS } from "../common/strings/favourite_strings.js";
import { FILE_STRINGS } from "../common/strings/file_strings.js";
import { attachPrintRequests } from "../common/print/print_requests.js";
import { SCREEN_STRINGS } from "../common/strings/screen_strings.js";
import { RecordingMark } from "../common/recording_mark.js"; // P9
import { RECORDING_STRINGS } from "../common/strings/recording_strings.js";

import { attachNativeShell, nativeBoardSaver, nativeCallInBrowser, nativeFiles } from "./native_shell.js"; // one-time viewer program (P1, P10)
import { requestJson } from "../common/http.js";
import { ViewerChat } from "./viewer_chat.js"; // the chat beside the screen
import { CHAT_STRINGS } from "../common/strings/chat_strings.js";
import { CALL_STRINGS } from "../common/strings/call_strings.js";
import { VIEWER_CHAT_STRINGS } from "../common/strings/viewer_chat_strings.js";
import { WHITEBOARD_STRINGS } from "../common/strings/whiteboard_strings.js";
import { WhiteboardSession } from "../common/whiteboard/whiteboard_session.js";

i18n.addStrings(CONTROL_STRINGS, DRAWING_STRINGS, FILE_STRINGS, SCREEN_STRINGS, RECORDING_STRINGS);
i18n.addStrings(CHAT_STRINGS, VIEWER_CHAT_STRINGS, CALL_STRINGS, WHITEBOARD_STRINGS, FAVOURITE_STRINGS);

const SESSION_KEY = "rs.customer.session"; // written by the relay page (ui/customer/main.js)
const MODE_KEY = "rs.viewer.mode";

/** Presentation states from screen_state, plus the connection's own. */
const State = Object.freeze({
  CONNECTING: "connecting",
  WAITING: "waiting",
  LIVE: "live",
  PAUSED: "paused",
  STOPPED: "stopped",
  RECONNECTING: "reconnecting",
  CLOSED: "closed",
});

// The badge reuses the connection colours of .rs-status.
const BADGE_STATUS = Object.freeze({
  connecting: "connecting",
  waiting: "waiting",
  live: "online",
  paused: "paused",
  stopped: "closed",
  reconnecting: "reconnecting",
  closed: "closed",
});

// Overlay icons (constant SVG markup).
const OVERLAY_ICONS = Object.freeze({
  screen:
    '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><rect x="3" y="4" width="18" height="12.5" rx="2"/><path d="M8.5 20.5h7M12 16.5v4"/></svg>',
  pause:
    '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="9"/><path d="M10 9v6M14 9v6"/></svg>',
  done:
    '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"><circle cx="12" cy="12" r="9"/><path d="m8 12.5 2.8 2.8L16 10"/></svg>',
  alert:
    '<svg viewBox="0 0 24 24" width="1em" height="1em" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"><circle cx="12" cy="12" r="9"/><path d="M12 7.5v5.5M12 16.5v.01"/></svg>',
});

class ViewerApp {
  constructor() {
    this.state = State.CONNECTING;
    this.notice = null; // a terminal notice replacing the state overlay (ended, replaced, ...)
    this.mode = loadMode();
    this.socket = null;
    this.canvas = byId("screen-canvas");
    this.viewport = byId("viewport");
    this.stage = byId("stage");
    const params = new URLSearchParams(window.location.search);
    this.painter = new ScreenPainter(this.canvas, {
      decoder: new FrameDecoder({ mode: params.get("decoder") ?? DecoderMode.AUTO }),
      onPainted: (frame, info) => this._painted(frame, info),
      onResize: () => this.layout(),
      // The stage is the canvas's positioned box. ?video_layer=canvas|off (benchmarks)
      videoLayer: params.get("video_layer") === "off" ? false : { kind: params.get("video_layer") },
    });
    // The video decoder lost its place: the relay sends the next key frame of our layer.
    this.painter.decoder.video.onLost = (seq) => this.socket?.send(MessageType.VIDEO_LOST, { seq });
    this.cursor = new ScreenCursor(this.stage);
    this.navigator = new ScreenNavigator(byId("navigator"), {
      source: this.canvas,
      viewport: this.viewport,
    });
    this.drawing = new ViewerDrawing({ stage: this.stage, toolbar: byId("drawing-tools") }); // P5
    this.end = new ViewerEnd(() => this.socket);
    this.acksSent = 0;
    this.reportsSent = 0;
    this.framesRejected = 0;
    this._pendingReports = [];
    this._reportScheduled = false;
    this._scale = 1;
  }

  start() {
    i18n.attachSwitcher(byId("language-select"));
    i18n.apply();
    fillIcons();
    i18n.onChange(() => this._renderOverlay());
    byId("fit-button").addEventListener("click", () => this.setMode("fit"));
    byId("actual-button").addEventListener("click", () => this.setMode("actual"));
    this._wireFullscreen();
    this.more = new MoreMenu({ root: byId("more"), button: byId("more-button") });
    new ResizeObserver(() => this.layout()).observe(this.viewport);
    this._watchPixelRatio();
    this.setMode(this.mode);
    this.chat = new ViewerChat({ i18n });

    const session = loadJson(window.sessionStorage, SESSION_KEY);
    if (!session?.session_id || !session?.customer_token) {
      this._showNotice("no_session", "alert");
      return;
    }
    this.connect(session);
  }

  connect(session) {
    this.notice = null;
    this.socket?.close();
    const socket = new SessionSocket({
      role: "customer",
      sessionId: session.session_id,
      token: session.customer_token,
      channel: "screen",
    });
    this.socket = socket;
    // Files both ways (P4): drop or paste files to send; the agent's files to download.
    this.files ??= attachViewerFiles({
      i18n,
      session,
      toolbar: byId("more-menu"), // in the bar, or behind "More" on a phone
      before: byId("language-select").closest("label"),
    });
    this.files.listen(socket);
    socket.on("status", (status) => this._onStatus(status));
    const badge = byId("state-badge");
    new RecordingMark({ i18n, parent: badge.parentElement, before: badge.nextSibling }).attach(socket);
    socket.on("binary", (data) => this._onFrame(data));
    socket.on(MessageType.SCREEN_STATE, (message) => this._onScreenState(message));
    // Motion as video: say what this engine decodes (none: the relay has the presenter send
    // the JPEG path). ?video=off forces the JPEG path (benchmarks, tests).
    socket.on(MessageType.WELCOME, () => this._announceDecoders(socket));
    socket.on(MessageType.CURSOR, (message) => this.cursor.update(message));
    socket.on(MessageType.SESSION_ENDED, () => this._showNotice("ended", "done"));
    socket.on(MessageType.ERROR, (error) => console.warn("relay error:", error.code, error.message));
    this.remoteInput?.destroy(); // control handover (P3)
    this.remoteInput = new RemoteInput({
      socket,
      canvas: this.canvas,
      stage: this.stage,
      button: byId("control-button"),
      label: byId("control-state"),
      i18n,
    });
    socket.on(MessageType.ERROR, (error) => this.drawing.noteError(error));
    this.drawing.attach(socket);
    this.chat.attach(socket);
    // Voice and video (CH9): the call rings here too; answered here, it shows picture-in-
    // picture over the screen (the chat page then says the call is in the viewer).
    this.call?.destroy();
    this.callTile?.destroy();
    // The one-time viewer program without WebRTC (WebKitGTK here) answers in the system
    // browser instead: a one-time link into the same seat (docs/calls.md).
    const inBrowser = nativeCallInBrowser();
    this.call = new CallController({
      socket,
      onChange: () => this.callTile?.render(),
      answerElsewhere: inBrowser ? (callId) => this._answerInBrowser(session, callId, inBrowser) : null,
    });
    this.callTile = new CallTile({
      controller: this.call,
      i18n,
      parent: byId("main"),
      place: "viewer",
      pip: true,
    });
    // CH3: the shared whiteboard, over the screen when the customer's Whiteboard button asks.
    this.whiteboard?.destroy();
    this.whiteboard = new WhiteboardSession({
      socket,
      i18n,
      role: "customer",
      chatView: null,
      host: byId("main"),
      layout: byId("main"),
      buttonBefore: byId("language-select").closest("label"), // with the tools behind "More"
      promptAnchor: byId("viewport"), // the question shows over the screen, at its top
      autoShow: false,
      request: (method, path, options) =>
        requestJson(method, path, {
          ...options,
          headers: { Authorization: `Customer ${session.customer_token}` },
        }),
      fetchBmp: async () => {
        const path = `/api/sessions/${encodeURIComponent(session.session_id)}/whiteboard.bmp`;
        const reply = await fetch(path, {
          headers: { Authorization: `Customer ${session.customer_token}` },
        });
        if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
        return reply.blob();
      },
      saveBmp: nativeBoardSaver(), // the program saves it and the board says where
      openFolder: nativeFiles()?.openFolder ?? null, // that folder, in the file manager
    });
    this.files.view.attachChat(this.chat.view); // the files are items of the conversation
    this.files.view.onSending = () => this.chat.setOpen(true); // its progress, or why not
    // Remote print: the agent's request shows in the chat (opened for it); Print prints here.
    attachPrintRequests({
      i18n,
      socket,
      chatView: this.chat.view,
      role: "customer",
      request: this.files.request,
      onRequest: () => this.chat.setOpen(true),
    });
    socket.connect();
  }

  /** CH9: a one-time link into this seat, opened in the system browser, which answers there. */
  async _answerInBrowser(session, callId, openInBrowser) {
    const issued = await requestJson("POST", "/api/customer-handoffs", {
      body: { customer_token: session.customer_token },
    });
    if (!(await openInBrowser(`${issued.url}&call=${encodeURIComponent(callId)}`))) {
      throw new Error("no browser");
    }
  }

  // ---------- Frames ----------

  async _announceDecoders(socket) {
    const off = new URLSearchParams(window.location.search).get("video") === "off";
    this.videoCodecs ??= off ? [] : await VideoStreamDecoder.supportedCodecs();
    socket.send(MessageType.DECODER_SUPPORT, { video: this.videoCodecs });
  }

  _onFrame(data) {
    let frame;
    try {
      frame = frameKindOf(data) === FrameKind.VIDEO ? parseVideoFrame(data) : parseFrame(data);
    } catch (error) {
      if (!(error instanceof FrameError)) {
        throw error;
      }
      this.framesRejected += 1;
      console.warn("ignoring a screen frame:", error.message);
      return;
    }
    this.painter.push(frame);
  }

  _painted(frame, { path }) {
    this.socket?.send(MessageType.SCREEN_ACK, { seq: frame.seq });
    this.acksSent += 1;
    if (path !== "failed") {
      // Frames arriving means the agent is presenting, even before (or without) screen_state.
      if (this.state === State.WAITING || this.state === State.CONNECTING) {
        this._setState(State.LIVE);
      }
      this.navigator.pictureChanged();
      this._pendingReports.push(frame);
      this._scheduleReports();
    }
  }

  _scheduleReports() {
    if (this._reportScheduled) {
      return;
    }
    this._reportScheduled = true;
    // painted_ms is taken after the frame that shows the paint: requestAnimationFrame runs just
    // before the browser renders, and a message posted from it is handled just after.
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        this._reportScheduled = false;
        const paintedMs = Date.now();
        for (const frame of this._pendingReports.splice(0)) {
          const sent = this.socket?.send(MessageType.PAINT_REPORT, {
            seq: frame.seq,
            capture_ms: frame.captureMs,
            painted_ms: paintedMs,
          });
          if (sent) {
            this.reportsSent += 1;
          }
        }
      };
      channel.port2.postMessage(null);
    });
  }

  // ---------- States ----------

  _onScreenState({ state, screen_w: screenW, screen_h: screenH }) {
    const next = Object.values(State).includes(state) ? state : State.WAITING;
    // "waiting" means no presentation yet, and a stopped one that goes live again is a new
    // one: either way the old picture is gone (the relay forgot it too).
    if (next === State.WAITING || (this.state === State.STOPPED && next !== State.STOPPED)) {
      this.painter.clear();
      this.cursor.hide();
    }
    this.painter.setScreenSize(screenW, screenH);
    if (next === State.STOPPED) {
      this.cursor.hide();
    }
    this._setState(next);
  }

  _onStatus({ status, code }) {
    this.end.setEnabled(status === "online" && this.notice?.kind !== "ended");
    if (status === "online") {
      // The relay follows welcome with screen_state, then resends the whole picture; until
      // then the last picture stays (without a "reconnecting" scrim).
      if (this.state === State.CONNECTING || this.state === State.RECONNECTING) {
        this._setState(State.WAITING);
      }
      return;
    }
    // Frames from the old socket are never painted or acknowledged on the new one.
    this.painter.reset();
    this._pendingReports = [];
    if (status === "reconnecting" || status === "connecting") {
      this._setState(status === "connecting" ? State.CONNECTING : State.RECONNECTING);
      return;
    }
    if (status !== "closed") {
      return;
    }
    if (code === CloseCode.SESSION_ENDED) {
      this._showNotice("ended", "done");
    } else if (code === CloseCode.REPLACED) {
      this._showNotice("replaced", "alert", "viewer.show_here", () => {
        const session = loadJson(window.sessionStorage, SESSION_KEY);
        if (session) {
          this.connect(session);
        }
      });
    } else if (code === CloseCode.UNSUPPORTED_VERSION) {
      this._showNotice("outdated", "alert", "common.reload", () => window.location.reload());
    } else if (code !== CloseCode.NORMAL) {
      this._showNotice("lost", "alert"); // unauthorized, not found, removed
    }
    this._setState(State.CLOSED);
  }

  _setState(state) {
    this.state = state;
    const badge = byId("state-badge");
    badge.dataset.status = BADGE_STATUS[state] ?? "closed";
    badge.dataset.state = state;
    i18n.bind(badge, `viewer.state.${state}`);
    this._renderOverlay();
  }

  _showNotice(kind, icon, actionKey = null, onAction = null) {
    this.notice = { kind, icon, actionKey, onAction };
    this.end.setEnabled(false); // every notice is terminal (ended, replaced, lost, ...)
    this.cursor.hide();
    this._renderOverlay();
  }

  _renderOverlay() {
    const overlay = byId("overlay");
    const picture = this.painter.hasPicture;
    let view = null; // {kind, icon, titleKey, bodyKey, actionKey, onAction}
    if (this.notice) {
      const { kind, icon, actionKey, onAction } = this.notice;
      view = { kind, icon, titleKey: `viewer.${kind}_title`, bodyKey: `viewer.${kind}_body`, actionKey, onAction };
    } else if (this.state === State.PAUSED) {
      view = { kind: "paused", icon: "pause" };
    } else if (this.state === State.STOPPED) {
      view = { kind: "stopped", icon: "done" };
    } else if (this.state === State.RECONNECTING) {
      view = { kind: "reconnecting", icon: "alert" };
    } else if (this.state === State.WAITING || (this.state === State.CONNECTING && !picture)) {
      view = picture ? null : { kind: "waiting", icon: "screen" };
    }
    overlay.hidden = view === null;
    if (view === null) {
      delete overlay.dataset.kind;
      return;
    }
    overlay.dataset.kind = view.kind;
    byId("overlay-icon").innerHTML = OVERLAY_ICONS[view.icon];
    i18n.bind(byId("overlay-title"), view.titleKey ?? `viewer.${view.kind}_title`);
    i18n.bind(byId("overlay-body"), view.bodyKey ?? `viewer.${view.kind}_body`);
    const action = byId("overlay-action");
    const actionKey = view.actionKey ?? (view.kind === "stopped" || view.kind === "ended" ? "viewer.close" : null);
    action.hidden = !actionKey;
    if (actionKey) {
      i18n.bind(action, actionKey);
      action.onclick = view.onAction ?? (() => window.close());
    }
  }

  // ---------- Fit / actual size, HiDPI ----------

  setMode(mode) {
    this.mode = mode === "actual" ? "actual" : "fit";
    try {
      window.localStorage.setItem(MODE_KEY, this.mode);
    } catch {
      // not remembered; the choice still applies here
    }
    this.viewport.dataset.mode = this.mode;
    byId("fit-button").setAttribute("aria-pressed", String(this.mode === "fit"));
    byId("actual-button").setAttribute("aria-pressed", String(this.mode === "actual"));
    this.layout();
  }

  /** Size the picture for the mode, in whole device pixels so that 1:1 is exact. */
  layout() {
    const screenW = this.canvas.width;
    const screenH = this.canvas.height;
    const viewW = this.viewport.clientWidth;
    const viewH = this.viewport.clientHeight;
    if (!screenW || !screenH || !viewW || !viewH) {
      this.navigator.setVisible(false);
      return;
    }
    const dpr = window.devicePixelRatio || 1;
    // CSS pixels per screen pixel. Actual size: one screen pixel on one device pixel (crisp on
    // HiDPI). Fit: the whole screen in the window, never larger than one CSS pixel per pixel.
    const scale =
      this.mode === "actual" ? 1 / dpr : Math.min(viewW / screenW, viewH / screenH, 1);
    const deviceW = Math.round(screenW * scale * dpr);
    const deviceH = Math.round(screenH * scale * dpr);
    const cssW = deviceW / dpr;
    const cssH = deviceH / dpr;
    const left = Math.max(0, Math.floor(((viewW - cssW) / 2) * dpr) / dpr);
    const top = Math.max(0, Math.floor(((viewH - cssH) / 2) * dpr) / dpr);
    Object.assign(this.stage.style, {
      width: `${cssW}px`,
      height: `${cssH}px`,
      marginLeft: `${left}px`,
      marginTop: `${top}px`,
    });
    // Whole-number enlargements stay sharp as blocks; anything else is smoothed.
    const devicePerPixel = scale * dpr;
    this.canvas.toggleAttribute(
      "data-pixelated",
      devicePerPixel >= 2 && Number.isInteger(Math.round(devicePerPixel * 1000) / 1000),
    );
    this._scale = cssW / screenW;
    this.drawing.layout(screenW, screenH, deviceW, deviceH);
    this.cursor.setScale(this._scale);
    const overflows = cssW > viewW + 0.5 || cssH > viewH + 0.5;
    this.navigator.setVisible(this.mode === "actual" && overflows);
  }

  _watchPixelRatio() {
    // A window dragged to another monitor, or browser zoom, changes devicePixelRatio.
    const watch = () => {
      const query = window.matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`);
      query.addEventListener(
        "change",
        () => {
          this.layout();
          watch();
        },
        { once: true },
      );
    };
    watch();
  }

  _wireFullscreen() {
    const button = byId("fullscreen-button");
    if (!document.fullscreenEnabled) {
      button.hidden = true;
      return;
    }
    button.addEventListener("click", () => {
      if (document.fullscreenElement) {
        document.exitFullscreen();
      } else {
        // The picture and the chat beside it go full screen together.
        byId("body").requestFullscreen().catch((error) => console.warn("no full screen:", error.message));
      }
    });
    document.addEventListener("fullscreenchange", () => {
      const key = document.fullscreenElement ? "viewer.exit_fullscreen" : "viewer.fullscreen";
      button.dataset.i18nAriaLabel = key;
      button.dataset.i18nTitle = key;
      button.setAttribute("aria-label", i18n.t(key));
      button.title = i18n.t(key);
      i18n.bind(byId("fullscreen-label"), key); // its words in a phone's "More" menu
    });
  }

  // ---------- Test and benchmark hooks ----------

  stats() {
    const painter = this.painter.stats;
    return {
      state: this.state,
      notice: this.notice?.kind ?? null,
      status: this.socket?.status ?? "closed",
      mode: this.mode,
      screenW: this.canvas.width,
      screenH: this.canvas.height,
      scale: this._scale,
      devicePixelRatio: window.devicePixelRatio || 1,
      framesPainted: painter.framesPainted,
      lastSeq: painter.lastSeq,
      bytes: painter.bytes,
      decodeMs: painter.decodeMsTotal,
      decodeMsLast: painter.decodeMsLast,
      decodeMsMax: painter.decodeMsMax,
      decodeFailures: painter.decodeFailures,
      videoLost: this.painter.decoder.video?.stats.lost ?? 0,
      decodePaths: { ...painter.paths },
      videoLayers: [...painter.videoLayers],
      lastVideoLayer: painter.lastVideoLayer,
      framesRejected: this.framesRejected,
      acksSent: this.acksSent,
      reportsSent: this.reportsSent,
      cursor: {
        x: this.cursor.x,
        y: this.cursor.y,
        visible: this.cursor.visible,
        shape: this.cursor.shape,
      },
      navigatorVisible: this.navigator.visible,
      visibleRect: this.navigator.visibleRect(),
      control: this.remoteInput?.stats() ?? null,
      drawing: this.drawing.stats(),
      chat: this.chat?.stats() ?? null,
    };
  }

  /** RGBA bytes of a rectangle of the picture, base64-encoded, in the screen's pixels. */
  canvasPixels(x, y, w, h) {
    const data = this.painter.readPixels(x, y, w, h).data;
    let binary = "";
    const chunk = 0x8000;
    for (let i = 0; i < data.length; i += chunk) {
      binary += String.fromCharCode.apply(null, data.subarray(i, i + chunk));
    }
    return { width: w, height: h, rgba: btoa(binary) };
  }
}

function loadMode() {
  try {
    return window.localStorage.getItem(MODE_KEY) === "actual" ? "actual" : "fit";
  } catch {
    return "fit";
  }
}

const app = new ViewerApp();
window.__rsViewer = Object.freeze({
  stats: () => app.stats(),
  canvasPixels: (x, y, w, h) => app.canvasPixels(x, y, w, h),
  setMode: (mode) => app.setMode(mode),
  dropSocket: () => app.socket?.drop(),
  panTo: (x, y) => app.navigator.centerOn(x, y),
  drawingPixel: (x, y) => app.drawing.layer.pixelAt(x, y),
  call: () => app.call?.testState() ?? null, // CH9
  callStats: () => app.call?.stats() ?? null,
});
attachNativeShell(SESSION_KEY); // no-op in a browser tab
app.start();
