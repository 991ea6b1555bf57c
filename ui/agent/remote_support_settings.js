// The settings' "Remote support" tab (A8, P4): how the screen is sent and where received files
// go. Network: "normal" sends changes as JPEG (or WebP) at the chosen quality and refines them
// to exact pixels once the screen is still; "high-speed" sends exact pixels from the start.
// Colours reduce the picture to 65,536 or 256 colours before encoding. A preset named for what
// people want ("Sharp text", "Balanced", "Smooth motion") sets all of these and the frame rate
// at once (the app sends its table: QUALITY_PRESETS in suite/agent/app/settings.py); moving any
// of them by hand makes it "Custom". These are the desktop
// app's settings (they start the presenter child, `remote_support` in /local/settings); the
// agent page in a browser presents nothing, so there the tab says so.

import { element } from "../common/dom.js";

const QUALITY = { min: 10, max: 100, step: 5, initial: 70 };
const FPS = { min: 1, max: 60, step: 1, initial: 60 }; // settings.py MAX_FPS_RANGE
const PRESETS = ["sharp_text", "balanced", "smooth_motion", "custom"];
const CUSTOM = "custom";
const DEFAULT_PRESET = "balanced";

/** The preset a stored remote_support shows: its own, or for nothing stored the default. */
export function presetOf(options) {
  if (PRESETS.includes(options?.preset)) {
    return options.preset;
  }
  return Object.keys(options ?? {}).length === 0 ? DEFAULT_PRESET : CUSTOM;
}
const SAVED_SHOWN_MS = 2500;

export class RemoteSupportSettings {
  /**
   * @param {HTMLElement} panel the tab panel to fill
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {object} options.backend the agent page's backend (desktop: has remoteSupportSettings)
   */
  constructor(panel, { i18n, backend }) {
    Object.assign(this, { panel, i18n, backend });
    this._savedTimer = null;
    if (!backend.remoteSupportSettings) {
      panel.replaceChildren(this._text("p", "agent-soon", "remote.desktop_only"));
      return;
    }
    this.form = element("form", "agent-remote", { "data-testid": "remote-settings", novalidate: "" });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
    // An option moved after "Saved." makes it untrue: it goes until the next save.
    for (const type of ["input", "change"]) {
      this.form.addEventListener(type, () => this._unsaved());
    }
    this._presets = {};
    this.preset = this._select("remote-preset", PRESETS.map((name) => [name, `remote.preset_${name}`]));
    this.presetHint = element("span", "rs-help", { id: "remote-preset-hint", "data-testid": "remote-preset-hint" });
    this.preset.setAttribute("aria-describedby", this.presetHint.id);
    this.preset.addEventListener("change", () => this._applyPreset());
    this.normal = this._radio("remote-network", "normal", "remote.network_normal", "remote.network_normal_hint");
    this.fast = this._radio("remote-network", "fast", "remote.network_fast", "remote.network_fast_hint");
    const network = element("fieldset", "rs-field agent-remote__group");
    network.append(this._text("legend", "rs-label", "remote.network"), this.normal.parentElement, this.fast.parentElement);

    this.quality = element("input", "agent-remote__range", {
      type: "range", id: "remote-quality", "data-testid": "remote-quality",
      min: String(QUALITY.min), max: String(QUALITY.max), step: String(QUALITY.step),
    });
    this.qualityValue = element("output", "agent-remote__value", { for: "remote-quality", "data-testid": "remote-quality-value" });
    this.quality.addEventListener("input", () => this._showQuality());
    this.fps = element("input", "agent-remote__range", {
      type: "range", id: "remote-fps", "data-testid": "remote-fps",
      min: String(FPS.min), max: String(FPS.max), step: String(FPS.step),
    });
    this.fpsValue = element("output", "agent-remote__value", { for: "remote-fps", "data-testid": "remote-fps-value" });
    this.fps.addEventListener("input", () => this._showQuality());
    this.codec = this._select("remote-codec", [["jpeg", "remote.codec_jpeg"], ["webp", "remote.codec_webp"]]);
    this.colors = this._select("remote-colors", [
      ["full", "remote.colors_full"], ["65k", "remote.colors_65k"], ["256", "remote.colors_256"],
    ]);
    for (const radio of [this.normal, this.fast]) {
      radio.addEventListener("change", () => this._syncLossy());
    }
    // Any option moved by hand: the preset no longer describes it.
    for (const control of [this.normal, this.fast, this.quality, this.fps, this.codec, this.colors]) {
      control.addEventListener("input", () => this._setPreset(CUSTOM));
      control.addEventListener("change", () => this._setPreset(CUSTOM));
    }

    this.folder = element("input", "rs-input", {
      type: "text", id: "remote-folder", "data-testid": "remote-folder", spellcheck: "false",
      autocapitalize: "none",
    });
    const folderHint = this._text("span", "rs-help", "remote.folder_hint");
    folderHint.id = "remote-folder-hint";
    this.folder.setAttribute("aria-describedby", folderHint.id);

    this.status = element("span", "agent-remote__status", { role: "status", "aria-live": "polite", "data-testid": "remote-status" });
    const save = element("button", "rs-button rs-button--primary", { type: "submit", "data-testid": "remote-save" });
    this.i18n.bind(save, "remote.save");
    const actions = element("div", "agent-remote__actions");
    actions.append(save, this.status);

    const qualityRow = this._field("remote-quality", "remote.quality", this.quality);
    qualityRow.append(this.qualityValue);
    const fpsRow = this._field("remote-fps", "remote.max_fps", this.fps);
    fpsRow.append(this.fpsValue);
    this.form.append(
      this._field("remote-preset", "remote.preset", this.preset, this.presetHint),
      network,
      qualityRow,
      fpsRow,
      this._field("remote-codec", "remote.codec", this.codec),
      this._field("remote-colors", "remote.colors", this.colors),
      this._field("remote-folder", "remote.folder", this.folder, folderHint),
      actions,
    );
    panel.replaceChildren(this.form);
  }

  /** Fill the form from the app's settings (called when the settings screen opens). */
  async load() {
    if (!this.form) {
      return;
    }
    this._status("");
    try {
      const {
        remote_support: options, quality_presets: presets, received_files_folder: folder,
        default_folder: fallback,
      } = await this.backend.remoteSupportSettings();
      this._presets = presets ?? {};
      const preset = presetOf(options);
      this._showOptions(this._presets[preset] ?? options);
      this._setPreset(preset);
      this.folder.value = folder ?? "";
      this.folder.placeholder = fallback ?? "";
    } catch (error) {
      this._status("remote.load_failed", { message: error?.message ?? String(error) }, "error");
    }
  }

  /** Save what the form says; the next presentation starts with it. */
  async save() {
    const remote = {
      preset: this.preset.value,
      lossless: this.fast.checked,
      quality: Number(this.quality.value),
      codec: this.codec.value,
      colors: this.colors.value,
      max_fps: Number(this.fps.value),
    };
    try {
      await this.backend.saveRemoteSupportSettings(remote, this.folder.value.trim());
      this._status("remote.saved", {}, "saved");
      clearTimeout(this._savedTimer);
      this._savedTimer = setTimeout(() => this._status(""), SAVED_SHOWN_MS);
    } catch (error) {
      this._status("remote.save_failed", { message: error?.message ?? String(error) }, "error");
    }
  }

  _showQuality() {
    this.qualityValue.textContent = this.quality.value;
    this.fpsValue.textContent = this.fps.value;
  }

  /** Put a preset's (or stored) options into the controls. */
  _showOptions(options) {
    this.fast.checked = options.lossless === true;
    this.normal.checked = !this.fast.checked;
    this.quality.value = String(options.quality ?? QUALITY.initial);
    this.fps.value = String(options.max_fps ?? FPS.initial);
    this.codec.value = options.codec ?? "jpeg";
    this.colors.value = options.colors ?? "full";
    this._showQuality();
    this._syncLossy();
  }

  /** The chosen preset moves every option to its values (Custom leaves them as they are). */
  _applyPreset() {
    const options = this._presets[this.preset.value];
    if (options) {
      this._showOptions(options);
    }
    this._setPreset(this.preset.value);
  }

  _setPreset(name) {
    this.preset.value = name;
    this.i18n.bind(this.presetHint, `remote.preset_${name}_hint`);
  }

  /** Quality and format only matter on a normal network (high-speed is exact pixels). */
  _syncLossy() {
    const lossy = !this.fast.checked;
    this.quality.disabled = !lossy;
    this.codec.disabled = !lossy;
  }

  _unsaved() {
    if (this.status.dataset.state === "saved") {
      clearTimeout(this._savedTimer);
      this._status("");
    }
  }

  _status(key, params = {}, state = "") {
    this.status.dataset.state = state;
    this.i18n.bindOrClear(this.status, key, params);
  }

  _text(tag, className, key) {
    const node = element(tag, className);
    this.i18n.bind(node, key);
    return node;
  }

  _field(id, key, control, ...extra) {
    const field = element("div", "rs-field agent-remote__field");
    const label = this._text("label", "rs-label", key);
    label.htmlFor = id;
    field.append(label, control, ...extra);
    return field;
  }

  _select(id, options) {
    const select = element("select", "rs-select", { id, "data-testid": id });
    for (const [value, key] of options) {
      select.append(this.i18n.bind(element("option", "", { value }), key));
    }
    select.selectedIndex = -1; // blank until the stored settings arrive: never a false first choice
    return select;
  }

  _radio(name, value, key, hintKey) {
    const label = element("label", "rs-checkbox agent-remote__choice");
    const input = element("input", "", { type: "radio", name, value, "data-testid": `remote-network-${value}` });
    const text = element("span", "agent-remote__choice-text");
    text.append(this._text("strong", "", key), this._text("span", "rs-help", hintKey));
    label.append(input, text);
    return input;
  }
}
