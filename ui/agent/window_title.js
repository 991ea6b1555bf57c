// The agent page's title (and the desktop window's title bar): the customer being chatted
// with, or what the page shows; a lock names no customer (A8). windowTitle() is the rule,
// pure; WindowTitle sets it on the page and sends it to the desktop app one at a time.

/**
 * @param {object} facts
 * @param {boolean} facts.locked the desktop app's lock cover is up
 * @param {string} facts.step what the page shows
 * @param {{customer_name?: string}|null} facts.session the support shown, if any
 * @param {(key: string, params?: object) => string} t
 * @returns {string}
 */
export function windowTitle({ locked, step, session }, t) {
  if (locked) {
    return t("lock.window_title");
  }
  if (step === "chat" && session) {
    return t("account.title_chat", { name: session.customer_name || t("role.customer") });
  }
  if (step === "waiting") {
    return t("account.title_waiting");
  }
  return t("app.agent_title");
}

export class WindowTitle {
  /** @param {{setWindowTitle: (title: string) => Promise<void>}} backend */
  constructor(backend) {
    this.backend = backend;
    this._sent = null;
    this._sending = Promise.resolve();
  }

  /** Show `title`, keeping the "(3) " unread count in front of it. */
  set(title) {
    const unread = document.title.match(/^\(\d+\) /)?.[0] ?? "";
    document.title = unread + title;
    if (title !== this._sent) {
      this._sent = title;
      // One at a time, in order: two requests in flight could land the older title last.
      this._sending = this._sending
        .then(() => this.backend.setWindowTitle(title))
        .catch((error) => console.warn("the window title was not set:", error.message));
    }
  }
}
