// The admin site's Options section (AD4): one card per group (Sessions, Files, Mail, Reminders,
// Agents, Recording), each option with where its value comes from (default, command line, set
// here), a reset back to that origin, and the relay's refusal shown under the field. Saving a
// group sends only the fields the admin changed. Contract: docs/protocol.md, *Options*.

import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { formatSize, parseSizeText } from "./option_values.js";

const MAIL_SHOWN = ["mail.host", "mail.sender_address"];

export class OptionsPanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   */
  constructor({ i18n, api }) {
    this.i18n = i18n;
    this.api = api;
    this.view = null;
    this.root = byId("options-groups");
    this.error = new ErrorMessage(byId("options-error"), i18n);
    i18n.onChange(() => this._render());
  }

  async load() {
    this.error.clear();
    this._tell("");
    try {
      this.view = await this.api("GET", "/api/admin/options");
      this._render();
    } catch (error) {
      this.error.show(error);
    }
  }

  _t(key, params) {
    return this.i18n.t(key, params);
  }

  _tell(key) {
    this.i18n.bindOrClear(byId("options-message"), key);
  }

  _render() {
    if (!this.view) {
      return;
    }
    this.root.replaceChildren(...this.view.groups.map((group) => this._group(group)));
  }

  _group(group) {
    const name = group.group;
    const card = element("form", "rs-card admin-options__group", {
      "data-testid": `options-group-${name}`,
      "aria-labelledby": `options-title-${name}`,
      novalidate: "",
    });
    card.append(element("h2", "admin-subtitle", { id: `options-title-${name}` }, this._t(`options.group_${name}`)));
    if (name === "mail") {
      return this._mailSummary(card, group);
    }
    for (const option of group.options) {
      card.append(this._row(option));
    }
    const save = element("button", "rs-button rs-button--primary admin-options__save", {
      type: "submit",
      "data-testid": `options-save-${name}`,
    }, this._t("options.save", { group: this._t(`options.group_${name}`) }));
    card.append(save);
    card.addEventListener("submit", (event) => {
      event.preventDefault();
      this._save(group, card, save);
    });
    return card;
  }

  _mailSummary(card, group) {
    const list = element("dl", "admin-options__summary");
    for (const key of MAIL_SHOWN) {
      const option = group.options.find((o) => o.key === key);
      if (!option) {
        continue;
      }
      const row = element("div", "admin-options__summary-row");
      const value = element("dd", "", {}, option.value || this._t("options.not_set"));
      value.append(" ", this._badge(option));
      row.append(element("dt", "", {}, this._t(`options.label.${key}`)), value);
      list.append(row);
    }
    const link = element("a", "rs-button rs-button--secondary rs-button--small", {
      href: "#mail",
      "data-testid": "options-mail-link",
    }, this._t("options.mail_edit"));
    card.append(element("p", "rs-help", {}, this._t("options.mail_summary")), list, link);
    return card;
  }

  _badge(option) {
    const badge = element("span", `admin-options__source admin-options__source--${option.source}`, {
      "data-testid": `option-source-${option.key}`,
      title: this._t(`options.source_title_${option.source}`),
    }, this._t(`options.source_${option.source}`));
    badge.dataset.source = option.source;
    return badge;
  }

  _row(option) {
    const id = `option-${option.key.replace(".", "-")}`;
    const row = element("div", "rs-field admin-options__row", { "data-key": option.key });
    const head = element("div", "admin-options__head");
    const label = element("label", "rs-label", { for: id }, this._t(`options.label.${option.key}`));
    head.append(label, this._badge(option));
    const hintId = `${id}-hint`;
    const errorId = `${id}-error`;
    const input = this._input(option, id);
    input.setAttribute("aria-describedby", `${hintId} ${errorId}`);
    input.setAttribute("data-testid", `option-${option.key}`);
    const hint = element("span", "rs-help", { id: hintId },
      this._t(`options.hint.${option.key}`, { min: option.minimum ?? "", max: option.maximum ?? "" }));
    const error = element("span", "admin-options__error", {
      id: errorId, "data-testid": `option-error-${option.key}`, role: "alert",
    });
    const control = element("div", "admin-options__control");
    control.append(input);
    if (option.kind === "switch") {
      // Say what the box means now, not only in its label.
      const state = element("label", "admin-options__switch-state", { for: id });
      const show = () => { state.textContent = this._t(input.checked ? "options.on" : "options.off"); };
      input.addEventListener("change", show);
      show();
      control.append(state);
    }
    if (option.source === "admin") {
      const origin = "command_line" in option ? "command_line" : "default";
      const back = origin === "command_line" ? option.command_line : option.default;
      const reset = element("button", "rs-button rs-button--ghost rs-button--small", {
        type: "button", "data-testid": `option-reset-${option.key}`,
      }, this._t(`options.reset_${origin}`, { value: this._plain(option, back) }));
      reset.addEventListener("click", () => this._reset(option.key, reset));
      control.append(reset);
    }
    row.append(head, control, hint, error);
    return row;
  }

  _input(option, id) {
    if (option.kind === "switch") {
      const box = element("input", "admin-options__switch", { id, type: "checkbox", role: "switch" });
      box.checked = Boolean(option.value);
      return box;
    }
    if (option.kind === "choice") {
      const select = element("select", "rs-select", { id });
      for (const choice of option.choices) {
        const item = element("option", "", { value: choice }, this._t(`options.choice.${option.key}.${choice}`));
        select.append(item);
      }
      select.value = option.value;
      return select;
    }
    const attributes = { id, autocomplete: "off", spellcheck: "false" };
    if (option.kind === "number") {
      Object.assign(attributes, { inputmode: "numeric", maxlength: "6" });
    }
    const input = element("input", "rs-input", attributes);
    input.value = this._formValue(option, option.value);
    return input;
  }

  /** How a value is typed in its field. */
  _formValue(option, value) {
    if (option.kind === "size") {
      return formatSize(value);
    }
    if (option.kind === "list") {
      return (value ?? []).join(", ");
    }
    return String(value ?? "");
  }

  /** How a value reads in a sentence (the reset button). */
  _plain(option, value) {
    if (option.kind === "switch") {
      return this._t(value ? "options.on" : "options.off");
    }
    if (option.kind === "choice") {
      return this._t(`options.choice.${option.key}.${value}`);
    }
    if (option.kind === "list" && (value ?? []).length === 0) {
      return "—";
    }
    return this._formValue(option, value);
  }

  /** The submitted value of a field, or undefined when it still shows the current one. */
  _changed(option, card) {
    const input = card.querySelector(`[data-testid="option-${option.key}"]`);
    if (option.kind === "switch") {
      return input.checked !== option.value ? input.checked : undefined;
    }
    const text = input.value.trim();
    if (text === this._formValue(option, option.value)) {
      return undefined;
    }
    if (option.kind === "number") {
      return /^\d+$/.test(text) ? Number(text) : text;
    }
    if (option.kind === "size") {
      return parseSizeText(text) ?? text;
    }
    return text;
  }

  async _save(group, card, button) {
    this.error.clear();
    this._tell("");
    for (const box of card.querySelectorAll(".admin-options__error")) {
      this.i18n.bindOrClear(box, "");
    }
    const values = {};
    for (const option of group.options) {
      const value = this._changed(option, card);
      if (value !== undefined) {
        values[option.key] = value;
      }
    }
    if (Object.keys(values).length === 0) {
      this._tell("options.unchanged");
      return;
    }
    button.disabled = true;
    try {
      this.view = await this.api("PUT", "/api/admin/options", { body: { values } });
      this._render();
      this._tell("options.saved");
    } catch (error) {
      button.disabled = false;
      // The relay's message starts with the field ("customers_per_session: ...").
      const option = group.options.find((o) => (error.message ?? "").startsWith(`${o.field}:`));
      if (error.code === "bad_setting" && option) {
        const box = card.querySelector(`[data-testid="option-error-${option.key}"]`);
        this.i18n.bind(box, ...this._problem(option, error.message ?? ""));
        card.querySelector(`[data-testid="option-${option.key}"]`).focus();
        this.error.showKey("options.fix_below");
      } else {
        this.error.show(error);
      }
    }
  }

  /** The field's problem in the admin's language (the relay's own words as the detail). */
  _problem(option, message) {
    const detail = message.replace(/^[^:]*:\s*/, "");
    if (option.kind === "number") {
      return ["options.err_range", { min: option.minimum, max: option.maximum }];
    }
    if (option.kind === "size") {
      return ["options.err_size", {}];
    }
    if (option.kind === "list") {
      const quoted = detail.match(/'([^']*)'/);
      return ["options.err_types", { detail: quoted ? quoted[1] : detail }];
    }
    return ["options.err_other", { message: detail }];
  }

  async _reset(key, button) {
    this.error.clear();
    button.disabled = true;
    try {
      this.view = await this.api("POST", "/api/admin/options/reset", { body: { keys: [key] } });
      this._render();
      this._tell("options.reset_done");
    } catch (error) {
      button.disabled = false;
      this.error.show(error);
    }
  }
}
