// Which backend this page talks to. The desktop app opens its windows with
// `#token=<secret>[&desktop=1][&session=<id>]`; the page moves the secret to sessionStorage
// (a reload keeps it, the address bar and history never show it) and removes it from the
// fragment. The chat windows' fragment has no `desktop=1`: the secret alone marks the app.
// Without it, the page is the relay's /agent page in a browser. `lang=<code>` is the language
// the app's windows show now (each window has a private profile, so no storage is shared).

import { i18n } from "../common/i18n.js";
import { loadJson, saveJson } from "../common/storage.js";
import { BrowserBackend } from "./browser_backend.js";
import { DesktopBackend } from "./desktop_backend.js";

const DESKTOP_KEY = "rs.desktop";

/** The DesktopBackend when the app opened this window, else the BrowserBackend. */
export function createBackend() {
  const fragment = new URLSearchParams(window.location.hash.slice(1));
  const secret = fragment.get("token");
  if (secret) {
    saveJson(window.sessionStorage, DESKTOP_KEY, {
      token: secret,
      session: fragment.get("session") || null,
    });
    if (fragment.get("lang")) {
      i18n.setLanguage(fragment.get("lang"));
    }
    fragment.delete("token"); // the rest (session, desktop) names the window, not a secret
    fragment.delete("lang");
    const rest = fragment.toString();
    const address = window.location.pathname + window.location.search + (rest ? `#${rest}` : "");
    window.history.replaceState(null, "", address);
  }
  const desktop = loadJson(window.sessionStorage, DESKTOP_KEY);
  if (desktop?.token) {
    document.documentElement.dataset.mode = "desktop";
    return new DesktopBackend(desktop.token, desktop.session);
  }
  return new BrowserBackend();
}
