// The list of file transfers of a session (P4): one row per file with its direction, a
// progress bar, what is happening, and Cancel / Download. Shared by the agent's chat window,
// the customer's chat page and the viewer; fed by the relay's file_* messages.

import { element } from "../dom.js";
import { ApiError } from "../http.js";
import { MessageType } from "../protocol.js";

const FINISHED = new Set(["received", "cancelled", "failed"]);
const STYLESHEET = "/ui/common/files/files.css";

/** Bytes in the unit people read: 1.5 MB. */
export function formatBytes(bytes, locale = "en") {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${units[unit]}`;
}

function ensureStylesheet() {
  if (!document.querySelector(`link[href="${STYLESHEET}"]`)) {
    document.head.append(element("link", "", { rel: "stylesheet", href: STYLESHEET }));
  }
}

export class FileTransferView {
  /**
   * @param {object} options
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {"agent"|"customer"} options.myRole
   * @param {(transfer: object) => Promise<void>} options.cancel
   * @param {((transfer: object) => Promise<string>)|null} [options.downloadUrl] a URL the
   *   browser downloads the file from (browser receivers); null when the app saves it itself
   * @param {{receive: (transfer: object) => Promise<string>, openFolder: () => Promise<void>}|null}
   *   [options.native] the one-time viewer program: Download saves through it (streamed and
   *   checked by the program, into its received-files folder), then offers "Open folder"
   */
  constructor({ i18n, myRole, cancel, downloadUrl = null, native = null }) {
    this._native = native;
    ensureStylesheet();
    this.i18n = i18n;
    this.myRole = myRole;
    this._cancel = cancel;
    this._downloadUrl = downloadUrl;
    this._rows = new Map(); // id (or local key) → {item, transfer, local}
    this._localCount = 0;
    this.element = element("section", "rs-files", { "data-testid": "file-transfers" });
    this.element.hidden = true;
    this._list = element("ul", "rs-files__list", { role: "list", "aria-live": "polite" });
    this.element.append(this._list);
    this._unsubscribe = i18n.onChange(() => this._rows.forEach((_, key) => this._render(key)));
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
  }

  /** Show the session's transfers as the relay lists them (after a page load). */
  load(transfers) {
    for (const transfer of transfers) {
      this.upsert(transfer);
    }
  }

  upsert(transfer) {
    if (!transfer?.id) {
      return;
    }
    const row = this._row(transfer.id);
    // A late progress message must not move a finished row back.
    row.transfer = { ...row.transfer, ...transfer };
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
    this._render(key);
    return key;
  }

  setLocal(key, phase, done) {
    const row = this._rows.get(key);
    if (row?.local) {
      Object.assign(row.local, { phase, done });
      this._render(key);
    }
  }

  /** The relay accepted the offer: the local row becomes the transfer's row. */
  bindLocal(key, transfer) {
    const row = this._rows.get(key);
    if (!row) {
      return;
    }
    this._rows.delete(key);
    const existing = this._rows.get(transfer.id);
    if (existing) {
      row.item.remove(); // file_offered came first and has its own row
      existing.transfer = { ...transfer, ...existing.transfer };
      this._render(transfer.id);
      return;
    }
    row.local = null;
    row.transfer = transfer;
    this._rows.set(transfer.id, row);
    this._render(transfer.id);
  }

  /** A local row failed (refused before upload, or the upload broke for good). */
  failLocal(key, error) {
    const row = this._rows.get(key);
    if (row?.local) {
      row.local.phase = "failed";
      row.local.error = error;
      this._render(key);
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
    this.element.remove();
  }

  _row(key) {
    let row = this._rows.get(key);
    if (!row) {
      const item = element("li", "rs-files__item", { "data-testid": "file-row" });
      this._list.prepend(item);
      row = { item, transfer: null, local: null, saving: null };
      this._rows.set(key, row);
      this.element.hidden = false;
    }
    return row;
  }

  _errorText(error) {
    const t = (key, params) => this.i18n.t(key, params);
    const code = error instanceof ApiError ? error.code : (error?.code ?? "file_send_failed");
    const key = `error.${code}`;
    const message = error?.message ?? "";
    return this.i18n.has(key) ? t(key, { message }) : t("error.file_send_failed", { message });
  }

  _render(key) {
    const row = this._rows.get(key);
    if (!row) {
      return;
    }
    const t = (k, params) => this.i18n.t(k, params);
    const local = row.local;
    const transfer = row.transfer;
    if (!local && !transfer) {
      return; // saving news that came before the transfer itself: shown with it
    }
    const name = local?.name ?? transfer?.name ?? "";
    const size = local?.size ?? transfer?.size ?? 0;
    const mine = local ? true : transfer?.sender === this.myRole;
    const peerRole = this.myRole === "agent" ? "customer" : "agent";
    const peer = t(`files.peer.${peerRole}`);
    let state = local ? local.phase : transfer.state;
    let done = 0;
    let status = "";
    const percent = (value) => (size > 0 ? Math.floor((100 * value) / size) : 100);
    if (local) {
      done = local.done;
      status =
        state === "failed"
          ? this._errorText(local.error)
          : state === "checking"
            ? t("files.state.checking")
            : t(`files.state.${state === "hashing" ? "hashing" : "uploading"}`, { percent: percent(done) });
    } else if (row.saving?.error) {
      state = "failed";
      status = this._errorText(row.saving.error);
    } else if (row.saving?.saved) {
      state = "received";
      done = size;
      status = t("files.state.saved", { name: row.saving.saved });
    } else if (state === "offered" || state === "uploading") {
      done = transfer.uploaded ?? 0;
      status = t(`files.state.${state}`, { percent: percent(done) });
    } else if (state === "ready") {
      const downloaded = transfer.downloaded ?? 0;
      done = downloaded;
      if (row.saving) {
        status = t("files.state.saving", { percent: percent(done) });
      } else if (downloaded > 0) {
        status = t("files.state.downloading", { percent: percent(downloaded) });
      } else {
        status = t(mine ? "files.state.ready" : "files.state.ready_to_download");
      }
    } else if (state === "received") {
      done = size;
      status = t("files.state.received");
    } else if (state === "cancelled") {
      status = t("files.state.cancelled");
    } else if (state === "failed") {
      status = t("files.state.failed", { reason: transfer.error ?? "" });
    }
    const item = row.item;
    item.dataset.state = state;
    item.dataset.direction = mine ? "out" : "in";
    if (transfer?.id) {
      item.dataset.id = transfer.id;
    }
    const head = element("div", "rs-files__head");
    head.append(
      element("span", "rs-files__name", { "data-testid": "file-name", title: name }, name),
      element("span", "rs-files__size", {}, formatBytes(size, this.i18n.locale)),
    );
    const bar = element("progress", "rs-files__bar", {
      max: String(Math.max(size, 1)),
      "aria-label": t("files.progress_label", { name }),
      "data-testid": "file-progress",
    });
    bar.value = size > 0 ? Math.min(done, size) : 1;
    const foot = element("div", "rs-files__foot");
    foot.append(
      element("span", "rs-files__direction", {}, t(mine ? "files.from_me" : "files.to_me", { peer })),
      element("span", "rs-files__status", { "data-testid": "file-status" }, status),
    );
    const actions = element("div", "rs-files__actions");
    if (transfer && !FINISHED.has(state) && !local) {
      const cancel = element(
        "button",
        "rs-button rs-button--ghost rs-button--small",
        { type: "button", "data-testid": "file-cancel", "aria-label": t("files.cancel_label", { name }) },
        t("files.cancel"),
      );
      cancel.addEventListener("click", () => {
        cancel.disabled = true;
        this._cancel(transfer).catch((error) => console.warn("cancel failed:", error.message));
      });
      actions.append(cancel);
    }
    if (transfer && !mine && this._native && row.saving?.saved) {
      const open = element(
        "button",
        "rs-button rs-button--secondary rs-button--small",
        { type: "button", "data-testid": "file-open-folder" },
        t("files.open_folder_short"),
      );
      open.addEventListener("click", () =>
        this._native.openFolder().catch((error) => console.warn("open folder failed:", error)),
      );
      actions.append(open);
    } else if (transfer && !mine && this._native && state === "ready" && !row.saving) {
      const save = element(
        "button",
        "rs-button rs-button--primary rs-button--small",
        { type: "button", "data-testid": "file-download", "aria-label": t("files.download_label", { name }) },
        t("files.download"),
      );
      save.addEventListener("click", () => this._saveNatively(transfer));
      actions.append(save);
    } else if (transfer && !mine && !this._native && this._downloadUrl && (state === "ready" || state === "received")) {
      const download = element(
        "button",
        "rs-button rs-button--primary rs-button--small",
        { type: "button", "data-testid": "file-download", "aria-label": t("files.download_label", { name }) },
        t("files.download"),
      );
      download.addEventListener("click", () => this._download(transfer, download));
      actions.append(download);
    }
    item.replaceChildren(head, bar, foot, actions);
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

  async _download(transfer, button) {
    button.disabled = true;
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
      button.disabled = false;
    }
  }
}
