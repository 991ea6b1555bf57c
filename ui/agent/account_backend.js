// What both backends (browser_backend.js, desktop_backend.js) answer the same way: the data
// that follows the account (account_data.js), which the settings tabs and the attention module
// read through the backend. main.js hands the backend the signed-in account with useAccount().

import { normalizeAttention } from "./attention.js";

export class AccountBackend {
  constructor() {
    /** @type {import("./account_data.js").AccountData|null} */
    this.account = null;
  }

  /** The signed-in account's data (null when signed out). */
  useAccount(account) {
    this.account = account;
  }

  _requireAccount() {
    if (!this.account) {
      throw Object.assign(new Error("not signed in"), { code: "unauthorized", status: 401 });
    }
    return this.account;
  }

  async loadShortMessages() {
    return this._requireAccount().shortMessages();
  }

  async saveShortMessages(_username, messages) {
    const saved = await this._requireAccount().saveShortMessages(messages);
    this.sync?.post({ kind: "short_messages" }); // the other windows read them again
    return saved;
  }

  async _savePreferences(changes) {
    const saved = await this._requireAccount().savePreferences(changes);
    this.sync?.post({ kind: "preferences" });
    return saved;
  }

  /** {sound, volume, notifications}; the defaults while signed out. */
  async attentionSettings() {
    return this.account ? (await this.account.preferences()).attention : normalizeAttention({});
  }

  async saveAttentionSettings(attention) {
    return (await this._savePreferences({ attention })).attention;
  }

  /** The automatic sign-out's idle time in minutes (0 = off). */
  async idleLogoutMinutes() {
    return (await this._requireAccount().preferences()).idle_logout_minutes;
  }

  /** AD4: the admin's idle sign-out for every agent (0 = none), read now from the relay. */
  async adminIdleMinutes() {
    return this._requireAccount().adminIdleMinutes();
  }

  async saveIdleLogoutMinutes(minutes) {
    const saved = await this._savePreferences({ idle_logout_minutes: minutes });
    return saved.idle_logout_minutes;
  }

  /** Move what an older version kept on this machine to the account (main.js, at sign-in). */
  async saveLocalPreferencesToAccount(local) {
    return this._savePreferences(local);
  }

  /** The language saved with the account ("" = none chosen yet). */
  async accountLanguage() {
    return this.account ? (await this.account.preferences()).language : "";
  }

  async saveAccountLanguage(language) {
    await this._requireAccount().savePreferences({ language });
  }
}
