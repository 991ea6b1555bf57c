// Files in the viewer (P4): drop or paste files anywhere on the page (or use "Send file") to
// send them to the agent; every file is an item of the chat panel's conversation, with
// Download. In the one-time viewer program, Download is the program's own streamed, checked
// save into its received-files folder, with "Open folder" afterwards (ui/viewer/native_shell.js).
// The viewer makes a new ChatView on each reconnect: call `view.attachChat()` with each.

import { customerFiles } from "../common/files/customer_files.js";
import { nativeFiles } from "./native_shell.js";

/** Set up once per page; call `listen(socket)` on the returned object for each socket. */
export function attachViewerFiles({ i18n, session, toolbar, before }) {
  const files = customerFiles({ i18n, session, native: nativeFiles() });
  document.body.append(files.view.element); // the announcer
  toolbar.insertBefore(files.sendButton(i18n), before);
  files.acceptDrops(document, i18n);
  return files;
}
