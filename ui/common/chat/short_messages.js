// Canned chat messages (A9, CH4): `{key, text}` pairs such as `/price`. Typing a key and then
// space or Tab in the composer replaces it with its text (Enter replaces it and sends); {customer}, {agent} and
// {company} in the text are filled in. Pure logic: no DOM here.

export const SHORT_KEY_PATTERN = /^\/[^\s/]{1,31}$/u;
export const MAX_SHORT_TEXT_CHARS = 4000;
const PLACEHOLDER = /\{(customer|agent|company)\}/g;

/**
 * Why a short message cannot be saved, as an i18n key; null when it can.
 * @param {{key: string, text: string}} message
 * @param {Array<{key: string}>} others the other messages (the key must be unique among them)
 */
export function shortMessageProblem({ key, text }, others) {
  if (!SHORT_KEY_PATTERN.test(key)) {
    return "short.error.key_format";
  }
  if (others.some((other) => other.key.toLowerCase() === key.toLowerCase())) {
    return "short.error.key_taken";
  }
  if (text.trim() === "") {
    return "short.error.text_empty";
  }
  if (text.length > MAX_SHORT_TEXT_CHARS) {
    return "short.error.text_long";
  }
  return null;
}

export class ShortMessages {
  /**
   * @param {() => Array<{key: string, text: string}>} messages the current list
   * @param {() => {customer?: string, agent?: string, company?: string}} values placeholders
   */
  constructor(messages, values) {
    this._messages = messages;
    this._values = values;
  }

  /** The messages, in the agent's order. */
  list() {
    return this._messages();
  }

  /** The text with its placeholders filled (an unknown value leaves an empty slot). */
  fill(text) {
    const values = this._values();
    return text.replace(PLACEHOLDER, (_slot, name) => values[name] ?? "");
  }

  /**
   * Expand the key that ends at the caret, if the word there is one.
   * @param {string} value the composer's text
   * @param {number} caret where the caret is (the key must end there)
   * @returns {{value: string, caret: number}|null} the new text and caret, or null
   */
  expandAt(value, caret) {
    const before = value.slice(0, caret);
    const match = /(^|\s)(\/\S+)$/u.exec(before);
    if (!match) {
      return null;
    }
    const key = match[2];
    const found = this.list().find((message) => message.key.toLowerCase() === key.toLowerCase());
    if (!found) {
      return null;
    }
    const start = caret - key.length;
    const text = this.fill(found.text);
    return { value: value.slice(0, start) + text + value.slice(caret), caret: start + text.length };
  }
}
