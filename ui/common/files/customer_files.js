// Files both ways on the customer's pages (P4): the files as items of the conversation, a
// "Send file" button, and files dropped or pasted anywhere on the page. Used by the viewer and the chat page; the
// customer authenticates with `Authorization: Customer <token>`, and downloads through a
// short-lived ticket URL, never with the session token in a URL.

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { ApiError, requestJson } from "../http.js";
import { FileTransferView } from "./file_transfer_view.js";
import { FileUploader } from "./file_upload.js";
import { MessageType } from "../protocol.js";

/**
 * Sends files and shows transfers for one participant of a session (customer, or an agent in
 * the browser). `request` is requestJson-like and already authenticated.
 */
export class FileSharing {
  /**
   * @param {object} options
   * @param {import("../i18n.js").i18n} options.i18n
   * @param {"agent"|"customer"} options.role
   * @param {string} options.sessionId
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.request
   * @param {boolean} [options.browserDownloads] offer Download buttons (default true)
   * @param {object|null} [options.native] the one-time viewer program's file hooks
   *   (ui/viewer/native_shell.js nativeFiles()): it saves received files itself
   */
  constructor({ i18n, role, sessionId, request, browserDownloads = true, native = null }) {
    this.request = request;
    this.sessionId = sessionId;
    this.uploader = new FileUploader({ request, sessionId });
    this.view = new FileTransferView({
      i18n,
      myRole: role,
      cancel: (transfer) => this.cancel(transfer.id),
      downloadUrl: browserDownloads
        ? async (transfer) => (await request("POST", `/api/files/${encodeURIComponent(transfer.id)}/ticket`)).url
        : null,
      native,
    });
    this._cancelled = new Set(); // local keys and transfer ids cancelled before the relay knew
  }

  listen(socket) {
    this.view.listen(socket);
    // After each (re)connect, catch up with what happened meanwhile.
    socket.on(MessageType.WELCOME, () => this.refresh());
    // The relay forgets a session's files when it ends: no card offers them any more.
    socket.on(MessageType.SESSION_ENDED, () => this.view.sessionOver());
  }

  async refresh() {
    const mark = this.view.listMark(); // entries that come while it is asked are not judged
    try {
      const { transfers } = await this.request(
        "GET",
        `/api/sessions/${encodeURIComponent(this.sessionId)}/files`,
      );
      this.view.load(transfers, mark);
    } catch (error) {
      console.warn("file list not loaded:", error.message);
    }
  }

  async cancel(id) {
    this._cancelled.add(id);
    const { transfer } = await this.request("DELETE", `/api/files/${encodeURIComponent(id)}`);
    this.view.upsert(transfer);
  }

  /** Send each file; refusals show in the list in the user's language. */
  sendFiles(files) {
    return Promise.all(Array.from(files, (file) => this.sendFile(file)));
  }

  async sendFile(file) {
    const key = this.view.addLocal(file);
    let transferId = null;
    try {
      return await this.uploader.send(file, {
        onProgress: (phase, done) => this.view.setLocal(key, phase, done),
        onOffered: (transfer) => {
          transferId = transfer.id;
          this.view.bindLocal(key, transfer);
        },
        cancelled: () => transferId !== null && this._cancelled.has(transferId),
      });
    } catch (error) {
      if (transferId === null) {
        this.view.failLocal(key, error);
      } else if (!(error instanceof ApiError && error.code === "transfer_cancelled")) {
        this.view.setSaving(transferId, { error });
      }
      return null;
    }
  }

  /** A "Send file" button with its hidden file input. */
  sendButton(i18n) {
    const input = element("input", "", { type: "file", multiple: "", "data-testid": "file-input" });
    input.hidden = true;
    const button = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": "file-send",
    });
    // The label may hide on a phone (its header is full): the icon then, named by aria-label.
    const label = element("span", "rs-files__send-label");
    i18n.bind(label, "files.send");
    button.dataset.i18nAriaLabel = "files.send";
    button.setAttribute("aria-label", i18n.t("files.send"));
    button.append(iconElement("file"), label);
    button.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      const files = Array.from(input.files ?? []);
      input.value = "";
      this.sendFiles(files);
    });
    const group = element("span", "rs-files__send");
    group.append(button, input);
    this._sendGroup = group; // removed by destroy()
    return group;
  }

  /** Files dragged over or pasted into `target` (e.g. the whole viewer page) are sent. */
  acceptDrops(target, i18n) {
    const overlay = element("div", "rs-files-drop", { "data-testid": "file-drop-zone" });
    i18n.bind(overlay, "files.drop_here");
    overlay.hidden = true;
    document.body.append(overlay);
    let depth = 0;
    const hasFiles = (event) => Array.from(event.dataTransfer?.types ?? []).includes("Files");
    const handlers = {
      dragenter: (event) => {
        if (hasFiles(event)) {
          depth += 1;
          overlay.hidden = false;
        }
      },
      dragover: (event) => {
        if (hasFiles(event)) {
          event.preventDefault(); // allow the drop
          event.dataTransfer.dropEffect = "copy";
        }
      },
      dragleave: () => {
        depth = Math.max(0, depth - 1);
        if (depth === 0) {
          overlay.hidden = true;
        }
      },
      drop: (event) => {
        depth = 0;
        overlay.hidden = true;
        if (event.dataTransfer?.files?.length) {
          event.preventDefault();
          this.sendFiles(event.dataTransfer.files);
        }
      },
      paste: (event) => {
        const files = event.clipboardData?.files;
        if (files?.length) {
          event.preventDefault();
          this.sendFiles(files);
        }
      },
    };
    for (const [type, handler] of Object.entries(handlers)) {
      target.addEventListener(type, handler);
    }
    this._undoDrops = () => {
      for (const [type, handler] of Object.entries(handlers)) {
        target.removeEventListener(type, handler);
      }
      overlay.remove();
    };
  }

  /** Remove the list, the drop handlers and the overlay (the session is left). */
  destroy() {
    this._undoDrops?.();
    this._undoDrops = null;
    this._sendGroup?.remove();
    this.view.destroy();
  }
}

/** The customer's FileSharing: the customer token goes in a header, never in a URL. */
export function customerFiles({ i18n, session, native = null }) {
  const authorization = `Customer ${session.customer_token}`;
  const request = (method, path, options = {}) =>
    requestJson(method, path, { ...options, headers: { ...options.headers, Authorization: authorization } });
  return new FileSharing({ i18n, role: "customer", sessionId: session.session_id, request, native });
}

/**
 * The customer's chat page: a "Send file" button before `buttonBefore` (in the header), the
 * files as items of `chatView`'s conversation, drops and pastes on `dropTarget`.
 */
export function attachChatFiles({ i18n, session, socket, chatView, buttonBefore, dropTarget }) {
  const files = customerFiles({ i18n, session });
  buttonBefore.before(files.sendButton(i18n));
  dropTarget.append(files.view.element); // the announcer
  files.view.attachChat(chatView);
  files.acceptDrops(dropTarget, i18n);
  files.listen(socket);
  return files;
}
