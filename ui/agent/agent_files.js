// Files both ways in the agent's chat window (P4, toolbar P8): "Send file" and, in the desktop
// app, "Received files" (opens the folder). In the desktop app Python does the disk work: a
// native dialog picks the files and streams them to the relay, and files from the customer are
// streamed into the received-files folder while they arrive. In the browser the page
// uploads with <input type=file> and downloads through a ticket link (its own files too).
// Every file shows as an item of the conversation (ChatView + FileTransferView).

import { element } from "../common/dom.js";
import { ApiError } from "../common/http.js";
import { FileSharing } from "../common/files/customer_files.js";
import { MessageType } from "../common/protocol.js";

export function attachAgentFiles({
  i18n,
  backend,
  token,
  sessionId,
  socket,
  chatView,
  buttonBefore,
  dropTarget,
}) {
  const desktop = typeof backend.sendFiles === "function";
  const request = (method, path, options = {}) => backend.api(method, path, { ...options, token });
  const files = new FileSharing({
    i18n,
    role: "agent",
    sessionId,
    request,
    browserDownloads: !desktop,
    // The desktop app saves with Python into the received-files folder, the agent's own files
    // too (a copy: both sides download while the session lives).
    native: desktop
      ? {
          receive: async (transfer) => (await backend.receiveFile(sessionId, transfer.id)).path,
          openFolder: () => backend.openReceivedFolder(),
        }
      : null,
  });
  files.listen(socket); // first: the list knows a transfer before its saving starts
  // Removing the customer drops every file of the session at the relay: nothing to fetch.
  socket.on(MessageType.CUSTOMER_REMOVED, () => files.view.sessionOver());
  const tools = element("span", "rs-files__tools");
  if (desktop) {
    const send = element("button", "rs-button rs-button--secondary rs-button--small", {
      type: "button",
      "data-testid": "file-send",
    });
    i18n.bind(send, "files.send");
    send.addEventListener("click", async () => {
      send.disabled = true;
      try {
        await backend.sendFiles(sessionId);
      } catch (error) {
        const key = files.view.addLocal({ name: i18n.t("files.send"), size: 0 });
        files.view.failLocal(key, error instanceof ApiError ? error : new ApiError("file_send_failed", String(error)));
      } finally {
        send.disabled = false;
      }
    });
    const folder = element("button", "rs-button rs-button--ghost rs-button--small", {
      type: "button",
      "data-testid": "file-open-folder",
    });
    i18n.bind(folder, "files.open_folder");
    folder.addEventListener("click", () =>
      backend.openReceivedFolder().catch((error) => console.warn("folder not opened:", error.message)),
    );
    tools.append(send, folder);
    // Saving starts at the offer: the relay streams bytes as they arrive (and holds the last
    // one back until it has checked the sha256).
    socket.on(MessageType.FILE_OFFERED, async ({ transfer }) => {
      if (transfer?.sender !== "customer") {
        return;
      }
      files.view.setSaving(transfer.id, { done: 0 });
      try {
        const saved = await backend.receiveFile(sessionId, transfer.id);
        files.view.setSaving(transfer.id, { saved: saved.name });
      } catch (error) {
        files.view.setSaving(transfer.id, { error });
      }
    });
  } else {
    tools.append(files.sendButton(i18n));
  }
  buttonBefore.before(tools);
  // Each file is an item of the conversation, in time order with the messages.
  dropTarget.append(files.view.element); // the announcer
  files.view.attachChat(chatView);
  files.acceptDrops(dropTarget, i18n);
  return {
    files,
    destroy() {
      tools.remove();
      files.destroy();
    },
  };
}
