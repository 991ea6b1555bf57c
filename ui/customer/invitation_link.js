// The personal-link landing (several customers per session): `?invite=<secret>` joins with
// one click and no code to type. What the join form shows for such a link lives here, apart
// from the page's steps in main.js.

import { byId } from "../common/dom.js";

const SECRET_RE = /^[A-Za-z0-9_-]{16,64}$/;

/** The secret of `?<param>=` in `query`, or null when it is missing or not a secret. */
export function linkSecret(query, param) {
  const value = query.get(param) ?? "";
  return SECRET_RE.test(value) ? value : null;
}

/** With a personal link the code field and the icons give way to one line that says so. */
export function showInvitation(invited) {
  byId("code-input").closest(".rs-field").hidden = invited;
  byId("invitation-note").hidden = !invited;
  byId("join-subtitle").hidden = invited;
  if (invited) {
    byId("icons-section").hidden = true;
  }
}

/** A used link: a reload or "Join again" must not send it again. */
export function forgetLinkInAddress() {
  window.history.replaceState(null, "", window.location.pathname);
}
