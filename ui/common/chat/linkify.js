// Links in chat text (pure: no DOM). Only explicit http:// and https:// URLs become links; the
// page builds them with DOM APIs (ChatBubble), never as HTML. `javascript:`, `data:`, `file:`,
// look-alike schemes ("hxxp://", a Cyrillic "һttps://", "https:/x") and URLs with a user name
// (`https://bank.example@evil.example`) stay plain text, as does anything longer than
// MAX_URL_CHARS. Punctuation that ends a sentence is not part of the link ("see
// https://x.example/a." links to ".../a"), nor is a closing bracket that opens nowhere in the URL
// ("(https://x.example/a)").

export const MAX_URL_CHARS = 2048;

// A scheme that starts a word: "xhttps://" is not a URL start. ASCII only on purpose: a
// look-alike letter from another script never matches.
const CANDIDATE = /(^|[^A-Za-z0-9+.-])(https?:\/\/[^\s<>"'`\u0000-\u001f\u007f\u00a0\u3000]+)/gi;
// Left off the end of a URL: sentence punctuation, ASCII and CJK.
const TRAILING = /[.,;:!?'"*_~\u2019\u201d\u3001\u3002\uff0c\uff01\uff1f\u300d\u300f\u3011\uff09]+$/u;
const PAIRS = { ")": "(", "]": "[", "}": "{", "\uff09": "\uff08" };

/** Drop trailing punctuation and closing brackets that have no opening one in the URL. */
function trimEnd(candidate) {
  let url = candidate;
  for (;;) {
    const before = url;
    url = url.replace(TRAILING, "");
    const last = url.at(-1);
    if (last in PAIRS) {
      const opens = url.split(PAIRS[last]).length - 1;
      const closes = url.split(last).length - 1;
      if (closes > opens) {
        url = url.slice(0, -1);
      }
    }
    if (url === before) {
      return url;
    }
  }
}

/**
 * The href for a candidate URL, or null when it must stay text.
 * @param {string} text
 * @returns {string|null}
 */
export function safeHref(text) {
  if (text.length > MAX_URL_CHARS || !/^https?:\/\//i.test(text)) {
    return null;
  }
  let url;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) {
    return null;
  }
  if (url.username || url.password) {
    return null; // "https://yourbank.example@evil.example" reads as the bank: no link
  }
  return url.href;
}

/**
 * Split chat text into plain and link parts, in order; joined, their `text` is the input.
 * @param {string} text
 * @returns {Array<{text: string, href?: string}>} parts; a link part has `href`
 */
export function linkify(text) {
  const parts = [];
  let plainFrom = 0;
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index + match[1].length;
    const url = trimEnd(match[2]);
    const href = safeHref(url);
    if (href === null) {
      continue;
    }
    if (start > plainFrom) {
      parts.push({ text: text.slice(plainFrom, start) });
    }
    parts.push({ text: url, href });
    plainFrom = start + url.length;
  }
  if (plainFrom < text.length || parts.length === 0) {
    parts.push({ text: text.slice(plainFrom) });
  }
  return parts;
}
