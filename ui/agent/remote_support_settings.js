// The settings' "Remote support" tab (A8, P4): how the screen is sent and where received files
// go. Network: "normal" sends changes as JPEG (or WebP) at the chosen quality and refines them
// to exact pixels once the screen is still; "high-speed" sends exact pixels from the start.
// Colours reduce the picture to 65,536 or 256 colours before encoding. These are the desktop
// app's settings (they start the presenter child, `remote_support` in /local/settings); the
// agent page in a browser presents nothing, so there the tab says so.

import { element } from "../common/dom.js";

const QUALITY = { min: 10, max: 100, step: 5, initial: 70 };
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
    this.codec = this._select("remote-codec", [["jpeg", "remote.codec_jpeg"], ["webp", "remote.codec_webp"]]);
    this.colors = this._select("remote-colors", [
      ["full", "remote.colors_full"], ["65k", "remote.colors_65k"], ["256", "remote.colors_256"],
    ]);
    for (const radio of [this.normal, this.fast]) {
      radio.addEventListener("change", () => this._syncLossy());
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
    this.form.append(
      network,
      qualityRow,
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
      const { remote_support: options, received_files_folder: folder, default_folder: fallback } =
        await this.backend.remoteSupportSettings();
      this.fast.checked = options.lossless === true;
      this.normal.checked = !this.fast.checked;
      this.quality.value = String(options.quality ?? QUALITY.initial);
      this.codec.value = options.codec ?? "jpeg";
      this.colors.value = options.colors ?? "full";
      this.folder.value = folder ?? "";
      this.folder.placeholder = fallback ?? "";
      this._showQuality();
      this._syncLossy();
    } catch (error) {
      this._status("remote.load_failed", { message: error?.message ?? String(error) }, "error");
    }
  }

  /** Save what the form says; the next presentation starts with it. */
  async save() {
    const remote = {
      lossless: this.fast.checked,
      quality: Number(this.quality.value),
      codec: this.codec.value,
      colors: this.colors.value,
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
  }

  /** Quality and format only matter on a normal network (high-speed is exact pixels). */
  _syncLossy() {
    const lossy = !this.fast.checked;
    this.quality.disabled = !lossy;
    this.codec.disabled = !lossy;
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
