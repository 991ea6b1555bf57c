// File transfers as items of the conversation (P4): each file is a compact card inside a chat
// bubble, in time order with the messages: its name, size, progress while it moves, then
// "Upload complete" with Download (both sides: the sender too), or what went wrong. Shared by
// the agent's chat window, the customer's chat page and the viewer's chat panel; fed by the
// relay's file_* messages and its chat entries (`chat_message.file`, docs/protocol.md).
//
// A card is derived, then patched: describeTransferRow() (pure, transfer_row.js) says what the
// card shows, and file_card.js builds each card's elements once and afterwards only updates
// their text, value, `hidden` and `disabled`. So progress ticks (up to 4 a second per
// transfer) neither take the keyboard focus off Cancel nor re-enable a Cancel already pressed,
// and the screen-reader announcement region hears of a transfer when its state changes, not on every tick.
//
// Where a card goes: the ChatView asks attachmentFor(message) for each chat entry with `file`
// and puts the card in that entry's bubble. A file this side is still preparing (hashing,
// refused before the relay knew it) has no entry yet: it waits at the end of the transcript as
// a pending bubble (ChatView.addPendingItem) until the relay's entry takes its card.

import { element } from "../dom.js";
import { MessageType } from "../protocol.js";
import { buildFileCard, ensureStylesheet, renderFileCard, setText } from "./file_card.js";
import { describeTransferRow, FINISHED, STATE_RANK } from "./transfer_row.js";

// States a screen reader is told about when a row enters them (its first state is told too).
const ANNOUNCED = new Set(["ready", "received", "cancelled", "failed"]);

export class FileTransferView {
  /**
   * @param {object} options
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {"agent"|"customer"} options.myRole
   * @param {(transfer: object) => Promise<void>} options.cancel
   * @param {((transfer: object) => Promise<string>)|null} [options.downloadUrl] a URL the
   *   browser downloads the file from (browser pages); null when the app saves it itself
   * @param {{receive: (transfer: object) => Promise<string>, openFolder: () => Promise<void>}|null}
   *   [options.native] the one-time viewer program: Download saves through it (streamed and
   *   checked by the program, into its received-files folder), then offers "Open folder"
   */
  constructor({ i18n, myRole, cancel, downloadUrl = null, native = null }) {
    this._native = native;
    ensureStylesheet();
    this.i18n = i18n;
    this.myRole = myRole;
    this.myId = null; // this participant's id, from the welcome: several customers share a role
    this._cancel = cancel;
    this._downloadUrl = downloadUrl;
    this._rows = new Map(); // id (or local key) → {transfer, local, saving, entry, dom, ...}
    this._localCount = 0;
    // Chat entries of files seen so far, in arrival order: a file list answers for the entries
    // seen before it was asked for (listMark), never for later ones.
    this._entriesSeen = 0;
    this._chat = null; // the ChatView the cards live in (attachChat)
    // Told when this side starts sending a file: a page whose chat can be collapsed (the
    // viewer) opens it, so progress and refusals are seen.
    this.onSending = () => {};
    // Told of a transfer when its state changes, never of progress ticks (the transcript, a
    // live region itself, announces the card's arrival). Pages put it anywhere.
    this.element = element("p", "rs-visually-hidden", {
      role: "status",
      "aria-live": "polite",
      "data-testid": "file-announcer",
    });
    this._announcer = this.element;
    this._unsubscribe = i18n.onChange(() => this._rows.forEach((_, key) => this._render(key)));
  }

  /**
   * Put the cards in `chatView`'s transcript: it asks attachmentFor() for each file entry, and
   * files still being prepared wait at its end. Called again when the page makes a new ChatView
   * (the viewer does on each reconnect): the cards move over.
   */
  attachChat(chatView) {
    this._chat = chatView;
    chatView.setAttachments(this);
    for (const row of this._rows.values()) {
      if (row.local) {
        row.pending = chatView.addPendingItem(row.dom.item);
        if (row.local.phase === "failed") {
          row.pending.fail();
        }
      }
    }
  }

  /**
   * The card for a chat entry of a file (`message.file`), made now if need be. Called by the
   * ChatView when it builds that entry's bubble; a pending bubble of the same file goes.
   * @returns {HTMLElement|null}
   */
  attachmentFor(message) {
    const file = message?.file;
    if (!file?.id) {
      return null;
    }
    if (!this._rows.has(file.id) && message.role === this.myRole) {
      this._adopt(file);
    }
    const row = this._row(file.id);
    row.entry = { ...file, sender: message.role, participant_id: message.participant_id };
    row.entrySeen ??= ++this._entriesSeen;
    row.pending?.remove();
    row.pending = null;
    this._render(file.id);
    return row.dom.item;
  }

  /** Follow a session socket's file_* messages. */
  listen(socket) {
    for (const type of [
      MessageType.FILE_OFFERED,
      MessageType.FILE_READY,
      MessageType.FILE_RECEIVED,
      MessageType.FILE_CANCELLED,
      MessageType.FILE_FAILED,
    ]) {
      socket.on(type, (message) => this.upsert(message.transfer));
    }
    socket.on(MessageType.FILE_PROGRESS, (message) => this.progress(message));
    socket.on(MessageType.WELCOME, (message) => {
      this.myId = typeof message.you?.participant_id === "string" ? message.you.participant_id : null;
    });
  }

  /** Take before asking the relay for its file list; give it to load() with the answer. */
  listMark() {
    return this._entriesSeen;
  }

  /**
   * The session's transfers as the relay lists them (after each welcome). A file of the chat
   * that the list lacks is gone (the session ended, or the customer was removed), if its
   * entry came before the list was asked for (`mark`, from listMark()): a file offered while
   * the answer was on its way has its entry here and is missing from the list, yet is alive
   * (its file_offered follows).
   */
  load(transfers, mark = Infinity) {
    const listed = new Set();
    for (const transfer of transfers) {
      listed.add(transfer.id);
      this.upsert(transfer);
    }
    for (const [key, row] of this._rows) {
      const seenBefore = row.entrySeen !== null && row.entrySeen <= mark;
      if (row.entry && seenBefore && !row.transfer && !listed.has(key) && !row.gone) {
        row.gone = true;
        this._render(key);
      }
    }
  }

  /** Every file of the session is gone (it ended, or the customer was removed): no card offers
   * a download any more, and unfinished ones say they are no longer available. */
  sessionOver() {
    for (const [key, row] of this._rows) {
      if (!row.local) {
        row.gone = true;
        this._render(key);
      }
    }
  }

  upsert(transfer) {
    if (!transfer?.id) {
      return;
    }
    const row = this._row(transfer.id);
    const before = row.transfer;
    // A file list fetched before the latest file_* message must not move a card back.
    if (before && STATE_RANK[transfer.state] < STATE_RANK[before.state]) {
      return;
    }
    row.transfer = { ...before, ...transfer };
    this._render(transfer.id);
  }

  progress({ id, uploaded, downloaded }) {
    const row = this._rows.get(id);
    if (!row?.transfer || FINISHED.has(row.transfer.state)) {
      return;
    }
    row.transfer.uploaded = Math.max(row.transfer.uploaded ?? 0, uploaded ?? 0);
    row.transfer.downloaded = Math.max(row.transfer.downloaded ?? 0, downloaded ?? 0);
    if (row.transfer.state === "offered" && uploaded > 0) {
      row.transfer.state = "uploading";
    }
    this._render(id);
  }

  /** A file this side is preparing (before the relay knows it). Returns its key. */
  addLocal(file) {
    this._localCount += 1;
    const key = `local-${this._localCount}`;
    const row = this._row(key);
    row.local = { name: file.name, size: file.size, phase: "checking", done: 0 };
    row.pending = this._chat?.addPendingItem(row.dom.item) ?? null;
    this._render(key);
    this.onSending();
    return key;
  }

  /**
   * The relay's entry of a file this page is offering comes before the offer's answer: its
   * local card (same name and size, oldest first) becomes the entry's card at once, so the
   * file never shows twice. bindLocal() then finds it by its old key.
   */
  _adopt(file) {
    for (const [key, row] of this._rows) {
      const local = row.local;
      if (local && !row.adoptedKey && local.phase !== "failed" && local.name === file.name && local.size === file.size) {
        this._rows.delete(key);
        row.adoptedKey = key;
        this._rows.set(file.id, row);
        return;
      }
    }
  }

  _renderRow(row) {
    for (const [key, candidate] of this._rows) {
      if (candidate === row) {
        this._render(key);
      }
    }
  }

  /** A local row by its key, also once the relay's entry adopted it. */
  _local(key) {
    return this._rows.get(key) ?? [...this._rows.values()].find((row) => row.adoptedKey === key);
  }

  setLocal(key, phase, done) {
    const row = this._local(key);
    if (row?.local) {
      Object.assign(row.local, { phase, done });
      this._renderRow(row);
    }
  }

  /** The relay accepted the offer: the local row becomes the transfer's row. */
  bindLocal(key, transfer) {
    const row = this._local(key);
    if (!row) {
      return;
    }
    if (row.adoptedKey === key) {
      row.local = null; // already the entry's card, under the transfer's id
      row.transfer = { ...transfer, ...row.transfer };
      this._render(transfer.id);
      return;
    }
    this._rows.delete(key);
    const existing = this._rows.get(transfer.id);
    if (existing) {
      // The relay's chat entry came first and has its own card: this one goes.
      row.pending?.remove();
      row.dom.item.remove();
      existing.transfer = { ...transfer, ...existing.transfer };
      this._render(transfer.id);
      return;
    }
    row.local = null; // its pending bubble stays until the chat entry takes the card
    row.transfer = transfer;
    this._rows.set(transfer.id, row);
    this._render(transfer.id);
  }

  /** A local row failed (refused before upload, or the upload broke for good). */
  failLocal(key, error) {
    const row = this._local(key);
    if (row?.local) {
      row.local.phase = "failed";
      row.local.error = error;
      row.pending?.fail();
      this._renderRow(row);
    }
  }

  /** The desktop app's own saving of a received file: {phase: "saving", done} / {saved} / {error}. */
  setSaving(id, saving) {
    const row = this._row(id);
    row.saving = { ...row.saving, ...saving };
    this._render(id);
  }

  destroy() {
    this._unsubscribe?.();
    for (const row of this._rows.values()) {
      row.pending?.remove();
    }
    this._chat?.setAttachments(null);
    this.element.remove();
  }

  _row(key) {
    let row = this._rows.get(key);
    if (!row) {
      row = {
        transfer: null, local: null, saving: null, entry: null, gone: false, pending: null,
        adoptedKey: null, entrySeen: null,
        dom: buildFileCard(), busy: new Set(), told: null,
      };
      // Bound once: the handlers read the row's current transfer when clicked.
      row.dom.cancel.addEventListener("click", () => this._cancelRow(row));
      row.dom.openFolder.addEventListener("click", () =>
        this._native.openFolder().catch((error) => console.warn("open folder failed:", error)),
      );
      // Download: saved by the viewer program (native), or a browser download.
      row.dom.download.addEventListener("click", () =>
        this._native ? this._saveNatively(row.transfer) : this._download(row),
      );
      row.dom.item.hidden = true; // until it has something to show
      this._rows.set(key, row);
    }
    return row;
  }

  _render(key) {
    const row = this._rows.get(key);
    if (!row) {
      return;
    }
    const view = describeTransferRow(row, this.myRole, {
      myId: this.myId,
      native: Boolean(this._native),
      browserDownload: Boolean(this._downloadUrl),
    });
    if (view === null) {
      return;
    }
    const status = this._statusText(view);
    renderFileCard(row.dom, view, {
      t: (k, params) => this.i18n.t(k, params),
      locale: this.i18n.locale,
      myRole: this.myRole,
      status,
      busy: row.busy,
      id: row.transfer?.id ?? null,
    });
    if (row.told === null) {
      row.told = view.state; // its arrival is read out by the transcript
    } else if (row.told !== view.state && ANNOUNCED.has(view.state)) {
      row.told = view.state;
      setText(this._announcer, `${view.name}: ${status}`);
    }
  }

  /** The status line; an `error.<code>` this page has no string for reads as a send failure. */
  _statusText({ statusKey, params }) {
    if (statusKey.startsWith("error.") && !this.i18n.has(statusKey)) {
      return this.i18n.t("error.file_send_failed", params);
    }
    return statusKey ? this.i18n.t(statusKey, params) : "";
  }

  async _cancelRow(row) {
    if (row.busy.has("cancel") || !row.transfer) {
      return;
    }
    const key = row.transfer.id;
    row.busy.add("cancel");
    this._render(key);
    try {
      await this._cancel(row.transfer);
    } catch (error) {
      console.warn("cancel failed:", error.message);
      row.busy.delete("cancel"); // refused or unreachable: it may be pressed again
      this._render(key);
    }
  }

  /** The viewer program fetches the file itself (it shows progress through file_progress). */
  async _saveNatively(transfer) {
    this.setSaving(transfer.id, { phase: "saving" });
    try {
      const path = await this._native.receive(transfer);
      const saved = String(path).split(/[\\/]/).pop();
      this.setSaving(transfer.id, { saved });
    } catch (error) {
      this.setSaving(transfer.id, { error: { code: "file_save_failed", message: String(error?.message ?? error) } });
    }
  }

  async _download(row) {
    const transfer = row.transfer;
    row.busy.add("download");
    this._render(transfer.id);
    try {
      const url = await this._downloadUrl(transfer);
      const link = element("a", "", { href: url, download: transfer.name });
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      console.warn("download failed:", error.message);
    } finally {
      row.busy.delete("download");
      this._render(transfer.id);
    }
  }
}
