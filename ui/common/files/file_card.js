// One file's card in the conversation (P4): its elements, made once by buildFileCard(), then
// patched by renderFileCard() from what describeTransferRow() (transfer_row.js) says it shows.
// Only text, value, `hidden` and `disabled` change afterwards, so progress ticks neither take
// the keyboard focus off Cancel nor re-enable a Cancel already pressed.

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { formatBytes } from "./transfer_row.js";

const STYLESHEET = new URL("./files.css", import.meta.url).href;

/** Set a node's text only when it changes (an unchanged text is no news to a screen reader). */
export function setText(node, text) {
  if (node.textContent !== text) {
    node.textContent = text;
  }
}

function setAttribute(node, name, value) {
  if (node.getAttribute(name) !== value) {
    node.setAttribute(name, value);
  }
}

/** The cards' stylesheet, linked once per page. */
export function ensureStylesheet() {
  const present = [...document.querySelectorAll('link[rel="stylesheet"]')].some(
    (link) => link.href === STYLESHEET,
  );
  if (!present) {
    document.head.append(element("link", "", { rel: "stylesheet", href: STYLESHEET }));
  }
}

/** The elements of one card, made once; renderFileCard() only updates them. */
export function buildFileCard() {
  const button = (variant, testId) =>
    element("button", `rs-button rs-button--${variant} rs-button--small`, {
      type: "button",
      "data-testid": testId,
    });
  const dom = {
    // aria-live off: progress ticks inside the transcript (a live log) are not read out.
    item: element("div", "rs-files__item", { "data-testid": "file-row", "aria-live": "off" }),
    icon: iconElement("file"),
    name: element("span", "rs-files__name", { "data-testid": "file-name" }),
    size: element("span", "rs-files__size"),
    bar: element("progress", "rs-files__bar", { "data-testid": "file-progress" }),
    direction: element("span", "rs-files__direction"),
    status: element("span", "rs-files__status", { "data-testid": "file-status" }),
    cancel: button("secondary", "file-cancel"),
    openFolder: button("secondary", "file-open-folder"),
    download: button("primary", "file-download"),
  };
  const head = element("div", "rs-files__head");
  dom.icon.classList.add("rs-files__icon");
  head.append(dom.icon, dom.name, dom.size);
  const foot = element("div", "rs-files__foot");
  foot.append(dom.direction, dom.status);
  const actions = element("div", "rs-files__actions");
  actions.append(dom.cancel, dom.openFolder, dom.download);
  dom.item.append(head, dom.bar, foot, actions);
  return dom;
}

/**
 * Patch a card to show `view` (a describeTransferRow() answer).
 * @param {object} dom from buildFileCard()
 * @param {object} view
 * @param {{t: (key: string, params?: object) => string, locale: string,
 *   myRole: "agent"|"customer", status: string, busy: Set<string>, id: string|null}} context
 *   `status`: the status line's text; `busy`: actions pressed and not yet answered; `id`: the
 *   transfer's id once the relay knows it
 */
export function renderFileCard(dom, view, { t, locale, myRole, status, busy, id }) {
  const { name, size, state } = view;
  dom.item.hidden = false;
  dom.item.dataset.state = state;
  dom.item.dataset.direction = view.mine ? "out" : "in";
  if (id) {
    dom.item.dataset.id = id;
  }
  setText(dom.name, name);
  setAttribute(dom.name, "title", name);
  setText(dom.size, formatBytes(size, locale));
  setAttribute(dom.bar, "max", String(Math.max(size, 1)));
  setAttribute(dom.bar, "aria-label", t("files.progress_label", { name }));
  dom.bar.value = size > 0 ? Math.min(view.done, size) : 1;
  // The bar only while bytes move: a finished card is one line shorter in the chat.
  const moving = ["checking", "hashing", "offered", "uploading"].includes(state);
  dom.bar.hidden = !(moving || (state === "ready" && !view.mine && view.done > 0));
  const peer = t(`files.peer.${myRole === "agent" ? "customer" : "agent"}`);
  setText(dom.direction, t(view.mine ? "files.from_me" : "files.to_me", { peer }));
  setText(dom.status, status);

  const shown = new Set(view.actions);
  const buttons = [
    shown.has("withdraw")
      ? [dom.cancel, ["withdraw", "cancel"], "files.withdraw", "files.withdraw_label"]
      : [dom.cancel, ["cancel", "withdraw"], "files.cancel", "files.cancel_label"],
    [dom.openFolder, ["open_folder"], "files.open_folder_short", null],
    [dom.download, ["save", "download"], "files.download", "files.download_label"],
  ];
  for (const [button, [action, ...alike], textKey, labelKey] of buttons) {
    button.hidden = ![action, ...alike].some((action) => shown.has(action));
    // A pressed button stays disabled until its request is answered: a progress tick in
    // between must not let Cancel be pressed twice.
    button.disabled = [action, ...alike].some((action) => busy.has(action));
    setText(button, t(textKey));
    if (labelKey) {
      setAttribute(button, "aria-label", t(labelKey, { name }));
    }
  }
}
