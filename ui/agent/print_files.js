// Remote print of a file the agent sent from disk (Send file), not only of a favourite: each of
// the agent's own files in the conversation that a browser can print (a PDF or an image) gets
// an "Ask to print" button once it is complete at the relay; the button sends `request_print`
// and the customer's page asks its customer (ui/common/print/print_requests.js).

import { element } from "../common/dom.js";
import { iconElement } from "../common/icons.js";
import { MessageType } from "../common/protocol.js";
import { printable } from "./favourites_menu.js";

/**
 * @param {object} options
 * @param {import("../common/i18n.js").i18n} options.i18n
 * @param {object} options.socket the session's chat socket
 * @param {HTMLElement} options.root where the file cards are (the chat panel)
 * @returns {() => void} stop
 */
export function attachPrintButtons({ i18n, socket, root }) {
  const add = ({ transfer }) => {
    if (transfer?.sender !== "agent" || !printable(transfer.name ?? "")) {
      return;
    }
    // The card exists once the chat entry is shown; file_ready follows the entry.
    requestAnimationFrame(() => {
      const row = root.querySelector(`[data-testid="file-row"][data-id="${CSS.escape(transfer.id)}"]`);
      const actions = row?.querySelector(".rs-files__actions");
      if (!actions || actions.querySelector('[data-testid="file-print"]')) {
        return;
      }
      const button = element("button", "rs-button rs-button--secondary rs-button--small", {
        type: "button",
        "data-testid": "file-print",
      });
      const label = element("span");
      i18n.bind(label, "print.ask");
      button.append(iconElement("printer"), label);
      button.setAttribute("aria-label", i18n.t("print.ask_label", { name: transfer.name }));
      button.addEventListener("click", () => socket.send(MessageType.REQUEST_PRINT, { transfer_id: transfer.id }));
      actions.prepend(button);
    });
  };
  const offs = [socket.on(MessageType.FILE_READY, add), socket.on(MessageType.FILE_RECEIVED, add)];
  return () => offs.forEach((off) => off());
}
