// One agent, several windows (A1, A6): what this window does when another one signs in or out,
// switches the language or changes the account's data (the messages of window_sync.js), and
// what follows a sign-in in any window (the account's short messages and language; settings an
// older version kept in this browser or on this PC move to the account once). The desktop
// app's windows share the app's one sign-in; browser tabs share theirs over window_sync.js.
// Acts on the page's AgentApp (main.js): its sign-in, steps and panels.

import { i18n } from "../common/i18n.js";

export class WindowFollow {
  /** @param {object} app the page's AgentApp (main.js) */
  constructor(app) {
    this.app = app;
    this._languageSource = null; // "account" or "remote" while applying a language not picked here
    this._languagePickedSignedOut = null; // picked on the login form: saved with the account
  }

  /** What follows a sign-in in any window: the account's short messages and language. */
  async afterSignIn() {
    this.app._importing = this._importLocalShortMessages(); // the list is read after it
    this.app._loadShortMessages();
    this._applyAccountLanguage();
    this._importLocalPreferences();
  }

  /** Alert settings and the idle time an older version kept here go to the account, once, when
   * the account still has its defaults (a choice made on the account since wins). */
  async _importLocalPreferences() {
    try {
      const local = await this.app.backend.localPreferences();
      if (Object.keys(local).length === 0) {
        return;
      }
      const account = await this.app.account.preferences();
      const untouched =
        account.idle_logout_minutes === 30 &&
        account.attention.sound === true &&
        account.attention.volume === 60 &&
        account.attention.notifications === true;
      if (untouched) {
        await this.app.backend.saveLocalPreferencesToAccount(local);
        if ("idle_logout_minutes" in local && this.app.auth && !this.app.chatWindow) {
          this.app._startIdle(); // the idle time just brought over applies now
        }
      }
      await this.app.backend.forgetLocalPreferences();
    } catch (error) {
      console.warn("alert and sign-out settings kept here were not moved to the account:", error.message);
    }
  }

  /** Short messages an older version kept in this browser or on this PC move to the account
   * once; they stay here when the relay refuses them (nothing is lost). */
  async _importLocalShortMessages() {
    const username = this.app._username();
    try {
      const local = await this.app.backend.localShortMessages(username);
      if (local.length === 0) {
        return;
      }
      const added = await this.app.account.importShortMessages(local);
      await this.app.backend.forgetLocalShortMessages(username);
      console.info(`short messages kept here now follow the account (${added} of ${local.length} new)`);
    } catch (error) {
      console.warn("short messages kept here were not moved to the account:", error.message);
    }
  }

  /** Signed in: the account's language applies, unless the agent just picked one on the
   * login form (then that one is saved with the account). */
  async _applyAccountLanguage() {
    const picked = this._languagePickedSignedOut;
    this._languagePickedSignedOut = null;
    try {
      if (picked) {
        await this.app.backend.saveAccountLanguage(picked);
        return;
      }
      const language = await this.app.backend.accountLanguage();
      if (language) {
        this._setLanguageFrom("account", language);
      }
    } catch (error) {
      console.warn("the account's language was not read:", error.message);
    }
  }

  /** Switch without saving it again: `source` "account" (tell the other windows) or "remote". */
  _setLanguageFrom(source, language) {
    if (language === i18n.language) {
      return;
    }
    this._languageSource = source;
    try {
      i18n.setLanguage(language);
    } finally {
      this._languageSource = null;
    }
  }

  /** The language changed: the other windows follow; a choice of the agent's is saved. */
  languageChanged(language) {
    const source = this._languageSource ?? "agent";
    this.app._renderTitle();
    this.app.support.renderSince(); // its time is formatted for the language
    if (source === "remote") {
      return;
    }
    this.app.backend.sync.post({ kind: "language", language, save: false });
    if (source !== "agent") {
      return;
    }
    if (!this.app.auth) {
      this._languagePickedSignedOut = language;
      return;
    }
    this.app.backend.saveAccountLanguage(language).catch((error) => {
      console.warn("the language was not saved with the account:", error.message);
    });
  }

  onWindowMessage(message) {
    const browser = this.app.backend.mode === "browser";
    switch (message.kind) {
      case "language":
        this._setLanguageFrom("remote", message.language);
        if (message.save && this.app.auth && !this.app.chatWindow) {
          // Chosen in a window without the sign-in (help, notice): saved from here.
          this.app.backend.saveAccountLanguage(message.language).catch(() => {});
        }
        break;
      case "signed_out":
        // A tab signed in as another agent stays (the app's windows share one sign-in).
        if (this.app.auth && (message.username === undefined || message.username === this.app._username())) {
          this._signedOutElsewhere();
        }
        break;
      case "signed_in":
        if (browser) {
          this._adoptBrowserLogin(message.auth, false);
        } else {
          this.adoptDesktopLogin();
        }
        break;
      case "hello": // a new tab asks whether a tab is signed in
        if (browser && this.app.auth) {
          this.app.backend.sync.post({ kind: "auth", auth: this.app.auth });
        }
        break;
      case "auth":
        if (browser) {
          this._adoptBrowserLogin(message.auth, true);
        }
        break;
      case "short_messages":
        if (this.app.auth) {
          this.app._loadShortMessages().then((list) => {
            if (this.app.step === "settings") {
              this.app.settings.editor.setMessages(list);
            }
          });
        }
        break;
      case "chat_closed": // from the app: a support's chat window closed
        this.app.supportWindowClosed(message.session_id);
        break;
      case "preferences":
        this.app.account.refresh();
        if (this.app.auth && !this.app.chatWindow) {
          this.app._startIdle(); // the idle time may have changed
        }
        break;
      default:
        break;
    }
  }

  /** Another tab signed in (or answered this tab's hello): use its sign-in. */
  _adoptBrowserLogin(auth, onlyWhenSignedOut) {
    if (!auth?.token || auth.token === this.app.auth?.token) {
      return;
    }
    if (this.app.auth) {
      if (!onlyWhenSignedOut && auth.agent?.username === this.app._username()) {
        this.app._setAuth({ ...this.app.auth, token: auth.token, agent: auth.agent ?? this.app.auth.agent });
      }
      return;
    }
    this.app._setAuth(auth);
    this.afterSignIn();
    if (this.app.step === "login") {
      this.app.showHome();
    }
  }

  /** The app signed in (this window or another) or renewed its token: use that sign-in. */
  async adoptDesktopLogin() {
    const login = await this.app.backend.currentLogin().catch(() => null);
    if (!login || login.token === this.app.auth?.token) {
      return;
    }
    const wasSignedOut = !this.app.auth;
    this.app._setAuth(login);
    if (!wasSignedOut) {
      return; // a renewed token: the socket uses it when it next connects
    }
    if (this.app.chatWindow) {
      await this.app._openChatWindowSupport(); // this support opens here again
    } else if (this.app.step === "login") {
      this.afterSignIn();
      this.app.showHome();
    }
  }

  /** Signed out in another window or tab: sign out here too. */
  _signedOutElsewhere() {
    if (this.app.support.socket?.online && this.app.support.step === "waiting") {
      this.app.support.endSession(); // the socket still may: do not leave a live code behind
    }
    if (this.app.chatWindow) {
      this.app.support.leave();
      this.app._setAuth(null);
      this.app._showChatWindowMessage("account.chat_signed_out");
      return;
    }
    this.app.showLogin("account.signed_out_elsewhere");
  }
}
