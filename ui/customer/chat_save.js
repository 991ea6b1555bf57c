// "Save the chat" on the end screen: the conversation, kept in the page until the end, as a
// text file the customer keeps (nothing is fetched: the relay's copy is the agent's).

import { element } from "../common/dom.js";
import { iconElement } from "../common/icons.js";

/**
 * The button, or nothing when there was no conversation.
 * @param {string} transcript
 * @param {{t: (key: string) => string}} i18n
 * @returns {HTMLElement[]}
 */
export function saveChatButton(transcript, i18n) {
  if (!transcript) {
    return [];
  }
  const button = element("button", "rs-button rs-button--secondary rs-button--block", {
    type: "button",
    "data-testid": "end-save-chat",
  });
  button.append(iconElement("download"), element("span", "", {}, i18n.t("customer.save_chat")));
  button.addEventListener("click", () => {
    const blob = new Blob([`${transcript}\n`], { type: "text/plain;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const link = element("a", "", { href: url, download: `${i18n.t("customer.chat_file")}.txt` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  return [button];
}
