// The admin site's "reset password" dialog: a new password for one account, checked by the
// relay (length), with the refusal shown in the dialog and the focus returned on close.

import { ErrorMessage } from "/ui/common/error_message.js";

const $ = (id) => document.getElementById(id);

export class PasswordDialog {
  /**
   * @param {object} options
   * @param {import("/ui/common/i18n.js").i18n} options.i18n
   * @param {(username: string, password: string) => Promise<object>} options.setPassword
   * @param {(username: string) => void} options.onDone after the relay accepted it
   */
  constructor({ i18n, setPassword, onDone }) {
    this.i18n = i18n;
    this.setPassword = setPassword;
    this.onDone = onDone;
    this.username = null;
    this.dialog = $("reset-dialog");
    this.error = new ErrorMessage($("reset-error"), i18n);
    $("reset-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._submit();
    });
    $("reset-cancel").addEventListener("click", () => this.close());
  }

  /** Ask for a new password of `username`. */
  open(username) {
    this.username = username;
    this.error.clear();
    $("reset-password").value = "";
    this.i18n.bind($("reset-title"), "admin.reset_title", { id: username });
    this.dialog.showModal();
    $("reset-password").focus();
  }

  close() {
    if (this.dialog.open) {
      this.dialog.close();
    }
    $("reset-password").value = "";
  }

  async _submit() {
    const password = $("reset-password").value;
    const button = $("reset-submit");
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
        $("reset-password").focus();
      }
    } finally {
      button.disabled = false;
    }
  }
}
