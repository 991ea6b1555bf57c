// Files in the viewer (P4): drop or paste files anywhere on the page (or use "Send file") to
// send them to the agent; files from the agent show in a floating list with Download.

import { customerFiles } from "/ui/common/customer_files.js";

/** Set up once per page; call `listen(socket)` on the returned object for each socket. */
export function attachViewerFiles({ i18n, session, toolbar, before }) {
  const files = customerFiles({ i18n, session });
  files.view.element.classList.add("rs-files--floating");
  document.body.append(files.view.element);
  toolbar.insertBefore(files.sendButton(i18n), before);
  files.acceptDrops(document, i18n);
  return files;
}
