// The connection notice's "Received files" button (P4, P8): opens the folder where files
// from customers land. Desktop only: in the browser, downloads go where the browser puts them.

import { element } from "../common/dom.js";

export function attachNoticeFiles({ backend, i18n, before, onError }) {
  if (typeof backend.openReceivedFolder !== "function") {
    return null;
  }
  const button = element("button", "rs-button rs-button--ghost rs-button--small notice__files", {
    type: "button",
    "data-testid": "notice-open-folder",
  });
  i18n.bind(button, "files.open_folder");
  button.setAttribute("aria-label", i18n.t("files.open_folder_label"));
  button.addEventListener("click", () => backend.openReceivedFolder().catch(onError));
  before.before(button);
  return button;
}
