// Control handover in the viewer (P3): "Request control", the state the relay reports, and,
// only while a grant is held, the customer's pointer and keys sent as mouse_input / key_input.
//
// Coordinates: pixels of the shared picture. The canvas's bounding box already includes the
// fit / 1:1 scale and the navigator's scroll, so (client - box) * canvas.width / box.width is
// the picture pixel. Pointer moves are coalesced to at most one per MOVE_INTERVAL_MS.
//
// Keys: a transparent textarea over the picture holds the focus while the keyboard is granted.
// Named keys (Enter, arrows, F-keys) and shortcuts (Ctrl/Alt/Meta + key) go as key down/up with
// their modifiers; anything that prints goes as text from `beforeinput` and `compositionend`,
// so an IME (Korean) sends whole syllables and Shift needs no forwarding. Bare modifier keys
// are never sent.

import { MAX_INPUT_TEXT_CHARS, MAX_WHEEL_STEPS, MessageType } from "../common/protocol.js";

const MOVE_INTERVAL_MS = 16; // ~60 moves a second at most
const WHEEL_STEP_PX = 100; // one wheel "click" per 100 px of deltaY (3 lines)
const MODIFIER_KEYS = new Set(["Shift", "Control", "Alt", "Meta", "AltGraph", "OS", "Super", "CapsLock"]);
const BUTTONS = ["left", "middle", "right"];

export class RemoteInput {
  /**
   * @param {object} options
   * @param {import("../common/session_socket.js").SessionSocket} options.socket the screen socket
   * @param {HTMLCanvasElement} options.canvas the picture
   * @param {HTMLElement} options.stage the canvas's box (the key catcher goes in it)
   * @param {HTMLButtonElement} options.button "Request control"
   * @param {HTMLElement} options.label the control state text
   * @param {import("../common/i18n.js").i18n} options.i18n
   */
  constructor({ socket, canvas, stage, button, label, i18n }) {
    this.socket = socket;
    this.canvas = canvas;
    this.button = button;
    this.label = label;
    this.i18n = i18n;
    this.state = { mouse: false, keyboard: false, requested: false };
    this.sent = { mouse: 0, keys: 0, texts: 0 };
    this._pendingMove = null;
    this._moveTimer = null;
    this._lastMoveAt = 0;
    this._keysDown = new Map(); // DOM code -> the key_input down that was sent
    this.controllable = true; // screen_state.control: false when presented from a browser
    this._buttonsDown = new Set();
    this._wheel = 0;

    this.keys = document.createElement("textarea");
    this.keys.className = "vw-keys";
    this.keys.dataset.testid = "viewer-keys";
    this.keys.setAttribute("autocapitalize", "off");
    this.keys.setAttribute("autocomplete", "off");
    this.keys.setAttribute("spellcheck", "false");
    this.keys.setAttribute("aria-label", i18n.t("control.hint"));
    this.keys.tabIndex = -1;
    stage.append(this.keys);

    const on = (target, type, handler, options) => {
      target.addEventListener(type, handler, options);
      return () => target.removeEventListener(type, handler, options);
    };
    this._off = [
      socket.on(MessageType.CONTROL_STATE, (message) => this._onState(message)),
      // A presenter that cannot take input (the agent page in a browser): nothing to request.
      socket.on(MessageType.SCREEN_STATE, (message) => {
        this.controllable = message.control !== false;
        this._render();
      }),
      socket.on("status", ({ status }) => {
        if (status !== "online") {
          this._onState({ mouse: false, keyboard: false, requested: false });
        }
      }),
      i18n.onChange(() => this._render()),
      on(button, "click", () => this.request()),
      on(stage, "pointerdown", (event) => this._pointerDown(event)),
      on(stage, "pointermove", (event) => this._pointerMove(event)),
      on(stage, "pointerup", (event) => this._pointerUp(event)),
      on(stage, "pointercancel", (event) => this._pointerUp(event)),
      on(stage, "wheel", (event) => this._onWheel(event), { passive: false }),
      on(stage, "contextmenu", (event) => this.state.mouse && event.preventDefault()),
      on(this.keys, "keydown", (event) => this._keyDown(event)),
      on(this.keys, "keyup", (event) => this._keyUp(event)),
      on(this.keys, "beforeinput", (event) => this._beforeInput(event)),
      on(this.keys, "compositionend", (event) => this._compositionEnd(event)),
      on(this.keys, "blur", () => this._releaseKeys()),
    ];
    this._render();
  }

  destroy() {
    for (const off of this._off) {
      off();
    }
    clearTimeout(this._moveTimer);
    this.keys.remove();
  }

  /** Ask the agent for control. */
  request() {
    if (this.socket.send(MessageType.REQUEST_CONTROL)) {
      this.state = { ...this.state, requested: true };
      this._render();
    }
  }

  stats() {
    return { ...this.state, sent: { ...this.sent }, focused: document.activeElement === this.keys };
  }

  // ---------- State ----------

  _onState({ mouse, keyboard, requested }) {
    const had = this.state;
    this.state = { mouse: mouse === true, keyboard: keyboard === true, requested: requested === true };
    if (had.keyboard && !this.state.keyboard) {
      this._keysDown.clear(); // the presenter released them
      this.keys.blur();
    }
    if (had.mouse && !this.state.mouse) {
      this._buttonsDown.clear();
      this._pendingMove = null;
    }
    if (!had.keyboard && this.state.keyboard) {
      this.keys.focus({ preventScroll: true });
    }
    this._render();
  }

  _render() {
    const { mouse, keyboard, requested } = this.state;
    let key = "control.none";
    if (mouse && keyboard) key = "control.you_both";
    else if (mouse) key = "control.you_mouse";
    else if (keyboard) key = "control.you_keyboard";
    else if (requested) key = "control.requested";
    else if (!this.controllable) key = "control.unavailable";
    this.i18n.bind(this.label, key);
    this.label.dataset.control = mouse || keyboard ? "granted" : requested ? "requested" : "none";
    this.button.hidden = mouse || keyboard || !this.controllable;
    this.button.disabled = requested;
    this.canvas.classList.toggle("vw-canvas--controlled", mouse);
    this.keys.hidden = !keyboard;
    this.keys.tabIndex = keyboard ? 0 : -1;
  }

  // ---------- Pointer ----------

  _point(event) {
    const box = this.canvas.getBoundingClientRect();
    const width = this.canvas.width;
    const height = this.canvas.height;
    if (!box.width || !box.height || !width || !height) {
      return null;
    }
    const x = Math.floor(((event.clientX - box.left) * width) / box.width);
    const y = Math.floor(((event.clientY - box.top) * height) / box.height);
    return { x: Math.min(Math.max(x, 0), width - 1), y: Math.min(Math.max(y, 0), height - 1) };
  }

  _send(type, fields) {
    if (this.socket.send(type, fields)) {
      if (type === MessageType.MOUSE_INPUT) this.sent.mouse += 1;
      else if (fields.action === "text") this.sent.texts += 1;
      else this.sent.keys += 1;
    }
  }

  _pointerDown(event) {
    if (this.state.keyboard) {
      this.keys.focus({ preventScroll: true }); // keys follow a click on the picture
    }
    if (!this.state.mouse) {
      return;
    }
    const point = this._point(event);
    const button = BUTTONS[event.button];
    if (!point || !button) {
      return;
    }
    event.preventDefault();
    event.currentTarget.setPointerCapture?.(event.pointerId);
    this._flushMove();
    this._buttonsDown.add(button);
    this._send(MessageType.MOUSE_INPUT, { action: "down", button, ...point });
  }

  _pointerUp(event) {
    const button = BUTTONS[event.button];
    if (!this.state.mouse || !this._buttonsDown.has(button)) {
      return;
    }
    const point = this._point(event);
    this._flushMove();
    this._buttonsDown.delete(button);
    this._send(MessageType.MOUSE_INPUT, { action: "up", button, ...(point ?? { x: 0, y: 0 }) });
  }

  _pointerMove(event) {
    if (!this.state.mouse) {
      return;
    }
    const point = this._point(event);
    if (!point) {
      return;
    }
    this._pendingMove = point;
    if (this._moveTimer !== null) {
      return;
    }
    const wait = Math.max(0, this._lastMoveAt + MOVE_INTERVAL_MS - performance.now());
    this._moveTimer = setTimeout(() => this._flushMove(), wait);
  }

  _flushMove() {
    clearTimeout(this._moveTimer);
    this._moveTimer = null;
    if (this._pendingMove && this.state.mouse) {
      this._lastMoveAt = performance.now();
      this._send(MessageType.MOUSE_INPUT, { action: "move", ...this._pendingMove });
    }
    this._pendingMove = null;
  }

  _onWheel(event) {
    if (!this.state.mouse) {
      return;
    }
    event.preventDefault();
    const point = this._point(event);
    if (!point) {
      return;
    }
    const scale = event.deltaMode === 1 ? WHEEL_STEP_PX / 3 : event.deltaMode === 2 ? WHEEL_STEP_PX * 10 : 1;
    this._wheel += event.deltaY * scale;
    const steps = Math.trunc(this._wheel / WHEEL_STEP_PX);
    if (steps === 0) {
      return;
    }
    this._wheel -= steps * WHEEL_STEP_PX;
    const dy = Math.max(-MAX_WHEEL_STEPS, Math.min(MAX_WHEEL_STEPS, steps));
    this._flushMove();
    this._send(MessageType.MOUSE_INPUT, { action: "wheel", dx: 0, dy, ...point });
  }

  // ---------- Keys ----------

  _keyDown(event) {
    if (!this.state.keyboard || event.isComposing || event.key === "Process" || event.key === "Dead") {
      return; // an IME at work: its text comes with compositionend
    }
    if (MODIFIER_KEYS.has(event.key)) {
      return;
    }
    const shortcut = event.ctrlKey || event.altKey || event.metaKey;
    if (event.key.length === 1 && !shortcut) {
      return; // prints: sent as text by beforeinput
    }
    event.preventDefault(); // Tab stays here, Backspace does not edit the catcher
    const modifiers = [];
    if (event.shiftKey) modifiers.push("shift");
    if (event.ctrlKey) modifiers.push("ctrl");
    if (event.altKey) modifiers.push("alt");
    if (event.metaKey) modifiers.push("meta");
    const message = { action: "down", key: event.key, code: event.code, modifiers };
    this._keysDown.set(event.code || event.key, message);
    this._send(MessageType.KEY_INPUT, message);
  }

  _keyUp(event) {
    const down = this._keysDown.get(event.code || event.key);
    if (!down) {
      return;
    }
    event.preventDefault();
    this._keysDown.delete(event.code || event.key);
    if (this.state.keyboard) {
      this._send(MessageType.KEY_INPUT, { ...down, action: "up" });
    }
  }

  _releaseKeys() {
    for (const down of this._keysDown.values()) {
      this._send(MessageType.KEY_INPUT, { ...down, action: "up" });
    }
    this._keysDown.clear();
  }

  _beforeInput(event) {
    if (!this.state.keyboard) {
      event.preventDefault();
      return;
    }
    if (event.isComposing || event.inputType === "insertCompositionText") {
      return; // the composition's result comes with compositionend
    }
    event.preventDefault();
    if (event.inputType === "insertText" && event.data) {
      this._sendText(event.data);
    } else if (event.inputType === "insertLineBreak" || event.inputType === "insertParagraph") {
      this._sendText("\n");
    }
  }

  _compositionEnd(event) {
    if (this.state.keyboard && event.data) {
      this._sendText(event.data);
    }
    this.keys.value = "";
  }

  _sendText(text) {
    // The relay takes at most MAX_INPUT_TEXT_CHARS characters a message.
    for (let i = 0; i < text.length; i += MAX_INPUT_TEXT_CHARS) {
      const chunk = text.slice(i, i + MAX_INPUT_TEXT_CHARS);
      this._send(MessageType.KEY_INPUT, { action: "text", text: chunk });
    }
  }
}
