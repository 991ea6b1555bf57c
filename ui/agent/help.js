// The local help page (A5): the same guide in English and Korean; the language switcher shows
// the matching one. Opened in its own window by the desktop app (the fragment's secret is
// moved out of the address like on every app page) or in a new tab from the browser.

import { i18n } from "/ui/common/i18n.js";
import { fillIcons } from "/ui/common/icons.js";
import { createBackend } from "/ui/agent/backend.js";
import { ActivityReporter } from "/ui/agent/idle_logout.js";

function showLanguage() {
  for (const article of document.querySelectorAll("article[lang]")) {
    article.hidden = article.lang !== i18n.language;
  }
}

const backend = createBackend();
if (backend.mode === "desktop") {
  // A4: reading the help (scrolling, clicking) counts as activity for the automatic sign-out.
  new ActivityReporter({ source: "help", report: (r) => backend.reportActivity(r) }).start();
}
i18n.attachSwitcher(document.getElementById("language-select"));
i18n.apply();
fillIcons();
showLanguage();
i18n.onChange(showLanguage);
