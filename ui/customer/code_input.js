// The access-code box: digits grouped as typed ("482 913 706"), the caret kept after the same
// digit. groupedCode() is the rule, pure; wireCodeInput() applies it to the input.

import { ACCESS_CODE_DIGITS, formatAccessCode } from "../common/protocol.js";

/** The code's digits in `value` (at most ACCESS_CODE_DIGITS). */
export function codeDigits(value) {
  return value.replace(/\D/g, "").slice(0, ACCESS_CODE_DIGITS);
}

/**
 * What the box shows for a typed or pasted `value`, and where the caret goes.
 * @param {string} value
 * @param {number} caret where the caret is in `value`
 * @returns {{shown: string, caret: number}}
 */
export function groupedCode(value, caret) {
  const digitsBefore = value.slice(0, caret).replace(/\D/g, "").length;
  const shown = formatAccessCode(codeDigits(value));
  let position = 0;
  for (let seen = 0; position < shown.length && seen < digitsBefore; position += 1) {
    if (/\d/.test(shown[position])) {
      seen += 1;
    }
  }
  return { shown, caret: position };
}

/**
 * Group the digits as the customer types; `onInput` runs after each change.
 * @param {HTMLInputElement} input
 * @param {() => void} onInput
 */
export function wireCodeInput(input, onInput) {
  // The limit comes from protocol.js, not the markup; room for the spaces or dashes of a
  // typed or pasted "482 913 706" / "482-913-706" (the input handler keeps the digits).
  input.maxLength = 2 * ACCESS_CODE_DIGITS + 2;
  input.addEventListener("input", () => {
    const { shown, caret } = groupedCode(input.value, input.selectionStart ?? input.value.length);
    if (shown !== input.value) {
      input.value = shown;
      input.setSelectionRange(caret, caret);
    }
    onInput();
  });
}
