// Small DOM helpers shared by the views. Text always goes in through textContent.

/**
 * The element with this id, or null (every page's one shorthand for getElementById).
 * @param {string} id
 * @returns {HTMLElement|null}
 */
export function byId(id) {
  return document.getElementById(id);
}

/**
 * Create an element.
 * @param {string} tag
 * @param {string} [className]
 * @param {Object<string, string>} [attributes]
 * @param {string} [text] set with textContent
 * @returns {HTMLElement}
 */
export function element(tag, className, attributes = {}, text) {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** Show exactly one of several sibling panels (the others get `hidden`). */
export function showOnly(panels, visible) {
  for (const panel of panels) {
    panel.hidden = panel !== visible;
  }
}

/** Initials for an avatar: "Alice Kim" → "AK", "홍길동" → "홍". */
export function initials(name) {
  const words = String(name || "").trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return "?";
  }
  const letters = words.length === 1 ? [words[0]] : [words[0], words[words.length - 1]];
  return letters.map((word) => Array.from(word)[0].toUpperCase()).join("");
}

/** Prefix the window title with "(n) " while n messages wait unseen in a hidden tab. */
export function showUnreadInTitle(count) {
  const title = document.title.replace(/^\(\d+\) /, "");
  document.title = count > 0 ? `(${count}) ${title}` : title;
}

/**
 * Fill an avatar circle with a photo, or with initials when there is none (or it fails).
 * @param {HTMLElement} avatar
 * @param {string} name
 * @param {string} [src] an image URL
 */
export function setAvatar(avatar, name, src) {
  avatar.textContent = initials(name);
  avatar.dataset.photo = src ? "loading" : "none";
  // Only the latest call may finish: a photo still loading when the avatar changed again
  // (removed, or another photo chosen) must not come back when it arrives.
  const attempt = String(Number(avatar.dataset.attempt ?? 0) + 1);
  avatar.dataset.attempt = attempt;
  if (!src) {
    return;
  }
  const current = () => avatar.dataset.attempt === attempt;
  const image = document.createElement("img");
  image.alt = "";
  image.decoding = "async";
  image.addEventListener("load", () => {
    if (current()) {
      avatar.dataset.photo = "shown";
      avatar.replaceChildren(image);
    }
  });
  image.addEventListener("error", () => {
    if (current()) {
      avatar.dataset.photo = "failed";
    }
  });
  image.src = src;
}
