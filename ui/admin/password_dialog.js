// The admin site's "reset password" dialog: a new password for one account, checked by the
// relay (length), with the refusal shown in the dialog and the focus returned on close.

import { byId } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";

export class PasswordDialog {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(username: string, password: string) => Promise<object>} options.setPassword
   * @param {(username: string) => void} options.onDone after the relay accepted it
   */
  constructor({ i18n, setPassword, onDone }) {
    this.i18n = i18n;
    this.setPassword = setPassword;
    this.onDone = onDone;
    this.username = null;
    this.dialog = byId("reset-dialog");
    this.error = new ErrorMessage(byId("reset-error"), i18n);
    byId("reset-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
    byId("reset-cancel").addEventListener("click", () => this.close());
  }

  /** Ask for a new password of `username`. */
  open(username) {
    this.username = username;
    this.error.clear();
    byId("reset-password").value = "";
    this.i18n.bind(byId("reset-title"), "admin.reset_title", { id: username });
    this.dialog.showModal();
    byId("reset-password").focus();
  }

  close() {
    if (this.dialog.open) {
      this.dialog.close();
    }
    byId("reset-password").value = "";
  }

  async _submit() {
    const password = byId("reset-password").value;
    const button = byId("reset-submit");
    if (button.disabled || this.username === null) {
      return;
    }
    button.disabled = true;
    try {
      await this.setPassword(this.username, password);
      const username = this.username;
      this.close();
      this.onDone(username);
    } catch (error) {
      if (this.dialog.open) {
        this.error.show(error);
        byId("reset-password").focus();
      }
    } finally {
      button.disabled = false;
    }
  }
}
