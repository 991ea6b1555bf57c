// Remote print in the conversation: the agent's request to print a file of the session (a PDF
// or an image) is an item of the chat on every side. The customer's item says who asks, the
// file's name and size, with Print and Decline: only Print downloads the file (a ticket link,
// as any download) and opens the browser's print dialog (print_document.js). The agent's item
// waits for the answer and then says who prints or declined. Protocol: docs/protocol.md,
// *favourites and print*.

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { MessageType } from "../protocol.js";
import { formatBytes } from "../files/transfer_row.js";
import { ensurePrintStyles, printDocument } from "./print_document.js";

class PrintRequestCard {
  constructor({ i18n, asked, role, onAnswer, onPrint }) {
    this.i18n = i18n;
    this.asked = asked;
    this.open = true; // until answered (a reconnect's repeat of the request is then ignored)
    this.element = element("div", "rs-print-card", {
      "data-testid": "print-request",
      "data-transfer": asked.transfer_id,
    });
    const head = element("div", "rs-print-card__head");
    const title = element("span");
    if (role === "agent") {
      i18n.bind(title, "print.asked");
    } else {
      i18n.bind(title, "print.request_title", { agent: asked.agent_name });
    }
    head.append(iconElement("printer"), title);
    const file = element(
      "div",
      "rs-print-card__file",
      { "data-testid": "print-file" },
      `${asked.name} · ${formatBytes(asked.size, i18n.language)}`,
    );
    this.status = element("p", "rs-print-card__status", { "data-testid": "print-status", "aria-live": "polite" });
    this.actions = element("div", "rs-print-card__actions");
    this.element.append(head, file, this.actions, this.status);
    if (role === "agent") {
      this.setStatus("print.waiting");
    } else {
      const print = this._button("print.accept", "print-accept", "rs-button--primary", "printer");
      const decline = this._button("print.decline", "print-decline", "rs-button--secondary");
      print.addEventListener("click", () => onPrint(this));
      decline.addEventListener("click", () => onAnswer(this, false));
      this.actions.append(print, decline);
    }
  }

  _button(key, testId, kind, icon) {
    const button = element("button", `rs-button ${kind} rs-button--small`, { type: "button", "data-testid": testId });
    const label = element("span");
    this.i18n.bind(label, key);
    if (icon) {
      button.append(iconElement(icon));
    }
    button.append(label);
    return button;
  }

  setStatus(key, params) {
    this.i18n.bind(this.status, key, params);
    this.element.dataset.state = key;
  }

  /** After the answer: no buttons but, once printed, "Print again". */
  settle(again) {
    this.open = false;
    this.actions.replaceChildren();
    if (again) {
      const button = this._button("print.again", "print-again", "rs-button--ghost", "printer");
      button.addEventListener("click", again);
      this.actions.append(button);
    }
  }
}

/**
 * Show print requests in `chatView` and answer them from this page.
 * @param {object} options
 * @param {import("../i18n.js").i18n} options.i18n
 * @param {object} options.socket the session socket (chat, or a viewer's screen socket)
 * @param {import("../chat/chat_view.js").ChatView} options.chatView
 * @param {"agent"|"customer"} options.role
 * @param {(method: string, path: string, options?: object) => Promise<object>} [options.request]
 *   the relay's API with this participant's authorization (the customer downloads with it)
 * @param {(blob: Blob, mime: string, name: string) => Promise<void>} [options.print]
 * @param {() => void} [options.onRequest] a request arrived (the viewer opens its chat)
 * @returns {() => void} stop listening
 */
export function attachPrintRequests({ i18n, socket, chatView, role, request, print = printDocument, onRequest }) {
  ensurePrintStyles();
  const cards = new Map(); // transfer id -> the newest card asking for it
  const answer = (card, accept) => {
    socket.send(MessageType.ANSWER_PRINT, { transfer_id: card.asked.transfer_id, accept });
    if (!accept) {
      card.setStatus("print.declined_you");
      card.settle(null);
    }
  };
  const printIt = async (card) => {
    card.setStatus("print.preparing");
    try {
      const id = encodeURIComponent(card.asked.transfer_id);
      const { url } = await request("POST", `/api/files/${id}/ticket`);
      const response = await fetch(url, { credentials: "omit" });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      const blob = await response.blob();
      card.setStatus("print.printing");
      await print(blob, card.asked.mime, card.asked.name);
      card.setStatus("print.accepted_you");
      card.settle(() => printIt(card));
    } catch (error) {
      card.setStatus("print.failed", { message: error.message });
      card.settle(() => printIt(card));
    }
  };
  const offs = [
    socket.on(MessageType.PRINT_REQUESTED, (asked) => {
      if (cards.get(asked.transfer_id)?.open) {
        return; // sent again after a reconnect: the card is already there
      }
      const card = new PrintRequestCard({
        i18n,
        asked,
        role,
        onAnswer: answer,
        onPrint: (chosen) => {
          // The answer first: the agent learns of it even while the dialog is open.
          socket.send(MessageType.ANSWER_PRINT, { transfer_id: chosen.asked.transfer_id, accept: true });
          chosen.settle(null);
          printIt(chosen);
        },
      });
      cards.set(asked.transfer_id, card);
      onRequest?.();
      chatView.addItem(card.element);
    }),
    socket.on(MessageType.PRINT_ANSWERED, (answered) => {
      const card = cards.get(answered.transfer_id);
      if (!card) {
        return;
      }
      if (role === "agent") {
        card.open = false;
        card.setStatus(answered.accept ? "print.accepted" : "print.declined", { name: answered.name });
      } else if (answered.participant_id === chatView.participants.me && card.actions.children.length) {
        // Answered on another page of this customer (the viewer, or the chat page).
        card.setStatus(answered.accept ? "print.accepted_you" : "print.declined_you");
        card.settle(null);
      }
    }),
  ];
  return () => offs.forEach((off) => off?.());
}
