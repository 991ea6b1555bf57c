// The local help page (A5): the same guide in English and Korean; the language switcher shows
// the matching one. Opened in its own window by the desktop app (the fragment's secret is
// moved out of the address like on every app page) or in a new tab from the browser.

import { byId } from "../common/dom.js";
import { i18n } from "../common/i18n.js";
import { fillIcons } from "../common/icons.js";
import { createBackend } from "./backend.js";
import { ActivityReporter } from "./idle_logout.js";
import { followLanguage } from "./window_sync.js";
import { followDesk } from "./desk.js";
import { AGENT_STRINGS } from "../common/strings/agent_strings.js";
import { DESK_STRINGS } from "../common/strings/desk_strings.js";

i18n.addStrings(AGENT_STRINGS, DESK_STRINGS);

function showLanguage() {
  for (const article of document.querySelectorAll("article[lang]")) {
    article.hidden = article.lang !== i18n.language;
  }
}

const backend = createBackend();
if (backend.mode === "desktop") {
  // A4: reading the help (scrolling, clicking) counts as activity for the automatic sign-out.
  new ActivityReporter({ source: "help", report: (r) => backend.reportActivity(r) }).start();
  followDesk({ backend, i18n }); // A8: text size and the lock
}
followLanguage(backend.sync, i18n); // one language in every window
i18n.attachSwitcher(byId("language-select"));
i18n.apply();
fillIcons();
showLanguage();
i18n.onChange(showLanguage);
