// Language selection and string lookup for every page (English and Korean).
//
// Static markup names its strings with data attributes and is translated by apply():
//   data-i18n="key"               → textContent
//   data-i18n-params='{"n": 1}'   → parameters for the keys of that element
//   data-i18n-placeholder="key"   → placeholder
//   data-i18n-aria-label="key"    → aria-label
//   data-i18n-title="key"         → title
// Dynamic elements use bind(), which sets the same attributes, so a language switch
// re-translates everything already on the page.
//
// The strings shared by every page (strings/common_strings.js) are always loaded; each page
// adds the tables of its own features with i18n.addStrings(...) before it first renders, so
// the customer page never downloads the agent's or the admin's strings.

import { COMMON_STRINGS } from "./strings/common_strings.js";

const STORAGE_KEY = "rs.language";
const LANGUAGES = Object.freeze([
  { code: "en", label: "English" },
  { code: "ko", label: "한국어" },
]);
const ATTRIBUTE_TARGETS = Object.freeze([
  ["[data-i18n-placeholder]", "i18nPlaceholder", "placeholder"],
  ["[data-i18n-aria-label]", "i18nAriaLabel", "aria-label"],
  ["[data-i18n-title]", "i18nTitle", "title"],
]);

/** One key defined by two tables is a mistake (the later one would silently win). */
class DuplicateStringError extends Error {
  constructor(key) {
    super(`the string '${key}' is defined by two tables`);
    this.name = "DuplicateStringError";
  }
}

function readStoredLanguage() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage blocked (private mode, sandboxed frame): fall back to the browser
  }
}

function detectLanguage() {
  const stored = readStoredLanguage();
  if (stored && LANGUAGES.some(({ code }) => code === stored)) {
    return stored;
  }
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  for (const tag of preferred) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (LANGUAGES.some(({ code }) => code === base)) {
      return base;
    }
  }
  return "en";
}

/** The current language, its strings, and the listeners that redraw on a switch. */
class I18n {
  constructor() {
    this._language = detectLanguage();
    this._listeners = new Set();
    this._strings = { en: {}, ko: {} };
    this._tables = new Set();
    this.addStrings(COMMON_STRINGS);
    document.documentElement.lang = this._language;
  }

  /**
   * Merge string tables ({en: {...}, ko: {...}}) into this page's strings; a table added twice
   * is merged once.
   * @throws {DuplicateStringError} when a key is already defined by another table
   */
  addStrings(...tables) {
    for (const table of tables) {
      if (this._tables.has(table)) {
        continue;
      }
      for (const key of Object.keys(table.en)) {
        if (Object.hasOwn(this._strings.en, key)) {
          throw new DuplicateStringError(key);
        }
      }
      this._tables.add(table);
      for (const { code } of LANGUAGES) {
        Object.assign(this._strings[code], table[code]);
      }
    }
  }

  /** Every key this page has loaded in a language (for tests). */
  keys(language = "en") {
    return Object.keys(this._strings[language] ?? {});
  }

  get language() {
    return this._language;
  }

  /** Locale tag for Intl formatters. */
  get locale() {
    return this._language === "ko" ? "ko-KR" : "en";
  }

  /**
   * Look up a string and fill its `{param}` slots.
   * @param {string} key
   * @param {object} [params]
   * @returns {string} the text, or the key itself when no language has it
   */
  t(key, params = {}) {
    const text = this._strings[this._language][key] ?? this._strings.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (slot, name) =>
      Object.hasOwn(params, name) ? String(params[name]) : slot,
    );
  }

  /** True when a key exists (used to map relay error codes to messages). */
  has(key) {
    return Object.hasOwn(this._strings.en, key);
  }

  /**
   * Set an element's text to a string and remember the key so a switch re-translates it.
   * @returns {HTMLElement} the element
   */
  bind(element, key, params) {
    element.dataset.i18n = key;
    if (params && Object.keys(params).length > 0) {
      element.dataset.i18nParams = JSON.stringify(params);
    } else {
      delete element.dataset.i18nParams;
    }
    element.textContent = this.t(key, params);
    return element;
  }

  /**
   * Show `key` in `element` as bind() does, or, when `key` is empty, clear the element and
   * forget its key (so a language switch leaves it empty).
   * @returns {HTMLElement} the element
   */
  bindOrClear(element, key, params) {
    if (key) {
      return this.bind(element, key, params);
    }
    delete element.dataset.i18n;
    delete element.dataset.i18nParams;
    element.textContent = "";
    return element;
  }

  /** Translate every marked element under root. */
  apply(root = document) {
    const paramsOf = (element) =>
      element.dataset.i18nParams ? JSON.parse(element.dataset.i18nParams) : {};
    for (const element of root.querySelectorAll("[data-i18n]")) {
      element.textContent = this.t(element.dataset.i18n, paramsOf(element));
    }
    for (const [selector, dataKey, attribute] of ATTRIBUTE_TARGETS) {
      for (const element of root.querySelectorAll(selector)) {
        element.setAttribute(attribute, this.t(element.dataset[dataKey], paramsOf(element)));
      }
    }
  }

  /** Switch language, remember it, re-translate the page and tell listeners. */
  setLanguage(code) {
    if (!LANGUAGES.some((language) => language.code === code) || code === this._language) {
      return;
    }
    this._language = code;
    document.documentElement.lang = code;
    try {
      window.localStorage.setItem(STORAGE_KEY, code);
    } catch {
      // Not remembered across visits; the switch still applies to this page.
    }
    this.apply();
    for (const listener of this._listeners) {
      listener(code);
    }
  }

  /** Call listener(code) after every switch; returns a function that unsubscribes. */
  onChange(listener) {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  /**
   * Fill a `<select>` with the languages and keep it in step with the current one.
   * @param {HTMLSelectElement} select
   */
  attachSwitcher(select) {
    select.replaceChildren(
      ...LANGUAGES.map(({ code, label }) => {
        const option = document.createElement("option");
        option.value = code;
        option.textContent = label;
        option.lang = code;
        return option;
      }),
    );
    select.value = this._language;
    select.addEventListener("change", () => this.setLanguage(select.value));
    this.onChange((code) => {
      select.value = code;
    });
  }

  /** "mm:ss" (or "h:mm:ss") for a countdown of whole seconds. */
  formatCountdown(totalSeconds) {
    const seconds = Math.max(0, Math.ceil(totalSeconds));
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
  }

  /** A spoken-style duration ("3 min 5 s" / "3분 5초"). */
  formatDuration(totalSeconds) {
    const seconds = Math.max(0, Math.round(totalSeconds));
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = seconds % 60;
    if (h > 0) {
      return this.t("duration.hms", { h, m, s });
    }
    return m > 0 ? this.t("duration.ms", { m, s }) : this.t("duration.s", { s });
  }

  /** Time of day for a UNIX-seconds timestamp. */
  formatTime(unixSeconds) {
    return new Intl.DateTimeFormat(this.locale, { hour: "numeric", minute: "2-digit" }).format(
      new Date(unixSeconds * 1000),
    );
  }

  /** Date and time for a UNIX-seconds timestamp. */
  formatDateTime(unixSeconds) {
    return new Intl.DateTimeFormat(this.locale, {
      dateStyle: "medium",
      timeStyle: "short",
    }).format(new Date(unixSeconds * 1000));
  }
}

/** The page's one I18n instance. */
export const i18n = new I18n();
