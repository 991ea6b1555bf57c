// What follows the agent's account on the relay (docs/protocol.md, /api/me/...): the short
// messages (A9) and the preferences (language, alerts, automatic sign-out). Every window and
// tab reads the same; a change made elsewhere arrives as a window-sync message and refresh()
// drops what this window cached. Short messages that an older version kept in this browser or
// on this PC are imported once (the relay adds only keys the account lacks, so a second import
// adds nothing) and then forgotten locally.

export class AccountData {
  /**
   * @param {(method: string, path: string, options?: object) => Promise<object>} api the
   *   relay's HTTP API with this window's sign-in (main.js adds the token)
   */
  constructor(api) {
    this._api = api;
    this._revision = null;
    this._preferences = null; // a Promise of the preferences, while cached
    this._saves = 0; // preference saves started: a read sent before one must not undo it
  }

  /** Forget what this window cached (another window changed it, or the sign-in changed). */
  refresh() {
    this._preferences = null;
  }

  /** The account's short messages, [{key, text}], in the agent's order. */
  async shortMessages() {
    const { short_messages: messages, revision } = await this._api("GET", "/api/me/short_messages");
    this._revision = revision;
    return messages;
  }

  /**
   * Replace the list. When another window saved since this one last read it, the relay refuses
   * (`short_messages_changed`): the error carries the current list in `messages`.
   */
  async saveShortMessages(messages) {
    const body = { short_messages: messages };
    if (this._revision !== null) {
      body.revision = this._revision;
    }
    try {
      const saved = await this._api("PUT", "/api/me/short_messages", { body });
      this._revision = saved.revision;
      return saved.short_messages;
    } catch (error) {
      if (error?.code === "short_messages_changed") {
        error.messages = await this.shortMessages();
      }
      throw error;
    }
  }

  /**
   * Move short messages kept by an older version to the account, once.
   * @param {Array<{key: string, text: string}>} local
   * @returns {Promise<number>} how many the account did not have yet
   */
  async importShortMessages(local) {
    const saved = await this._api("POST", "/api/me/short_messages/import", {
      body: { short_messages: local },
    });
    this._revision = saved.revision;
    return saved.added;
  }

  /** {language, idle_logout_minutes, attention: {sound, volume, notifications}}. */
  preferences() {
    if (this._preferences === null) {
      this._preferences = this._api("GET", "/api/me/preferences").then(({ preferences }) => preferences);
      this._preferences.catch(() => {
        this._preferences = null; // try again next time
      });
    }
    return this._preferences;
  }

  /**
   * AD4: the admin's idle sign-out for every agent in minutes (0 = none), read from the relay
   * each time (an admin may change it at any moment); the preferences come along.
   */
  async adminIdleMinutes() {
    const saves = this._saves;
    const answer = await this._api("GET", "/api/me/preferences");
    if (saves === this._saves) {
      // Answers can cross: a read sent before a save may arrive after it, with the old values.
      this._preferences = Promise.resolve(answer.preferences);
    }
    return Number(answer.idle_timeout_minutes) || 0;
  }

  /** Change some preferences; answers all of them. */
  async savePreferences(changes) {
    this._saves += 1;
    const { preferences } = await this._api("PUT", "/api/me/preferences", { body: changes });
    this._preferences = Promise.resolve(preferences);
    return preferences;
  }
}
