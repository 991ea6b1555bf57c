// "Download the viewer app" next to the browser viewer, once the customer accepted a
// presentation (P1, P10).
//
// A click asks the relay for a one-time ticket (POST /api/viewer/tickets with the customer
// token) and starts the download of the viewer program for this device; the file carries the
// ticket, so the program joins this session by itself and deletes itself afterwards. Where the
// relay has no build for this device (or on a phone), the offer says so and the browser viewer
// stays the way. The prompt (ui/common/screen_request.js) is watched, not changed: the offer
// appears whenever the prompt reaches its "accepted" state.

import { element } from "../common/dom.js";
import { ApiError, requestJson } from "../common/http.js";

const MOBILE = /Android|iPhone|iPad|iPod|Mobile/i;

/** The customer's desktop platform as the relay names it, or null when unknown. */
export function detectPlatform(nav = window.navigator) {
  const name = `${nav.userAgentData?.platform ?? ""} ${nav.platform ?? ""}`.toLowerCase();
  if (name.includes("win")) {
    return "windows";
  }
  if (name.includes("mac")) {
    return "macos";
  }
  if (name.includes("linux")) {
    return "linux";
  }
  return null;
}

export class ViewerDownloadOffer {
  /**
   * @param {object} options
   * @param {{element: HTMLElement}} options.prompt the PresentationPrompt
   * @param {string} options.token the customer token
   * @param {import("../common/i18n.js").i18n} options.i18n
   */
  constructor({ prompt, token, i18n }) {
    this.prompt = prompt;
    this.token = token;
    this.i18n = i18n;
    if (MOBILE.test(window.navigator.userAgent)) {
      return; // no viewer program for phones and tablets: the browser viewer is the way
    }
    this._observer = new MutationObserver(() => this._maybeOffer());
    this._observer.observe(prompt.element, { attributes: true, attributeFilter: ["data-state"], childList: true });
  }

  destroy() {
    this._observer?.disconnect();
  }

  _maybeOffer() {
    const root = this.prompt.element;
    if (root.dataset.state !== "accepted" || root.querySelector(".rs-viewer-download")) {
      return;
    }
    const box = element("div", "rs-viewer-download", { "data-testid": "viewer-download" });
    const button = element("button", "rs-button rs-button--small rs-button--secondary", {
      type: "button",
      "data-testid": "viewer-download-button",
    });
    this.i18n.bind(button, "viewer_app.download");
    const hint = element("p", "rs-present-prompt__hint", { "data-testid": "viewer-download-hint" });
    this.i18n.bind(hint, "viewer_app.hint");
    button.addEventListener("click", () => this._download(button, hint));
    box.append(button, hint);
    root.append(box);
  }

  async _download(button, hint) {
    button.disabled = true;
    this.i18n.bind(hint, "viewer_app.preparing");
    const platform = detectPlatform();
    try {
      const issued = await requestJson("POST", "/api/viewer/tickets", {
        token: this.token,
        body: platform ? { platform } : {},
      });
      const megabytes = (issued.size / 1e6).toFixed(1);
      this.i18n.bind(hint, `viewer_app.started_${issued.platform}`, { name: issued.file_name, size: megabytes });
      // An attachment: the browser saves it and this page stays.
      const link = element("a", "rs-visually-hidden", { href: issued.download_url, download: issued.file_name });
      document.body.append(link);
      link.click();
      link.remove();
    } catch (error) {
      const code = error instanceof ApiError ? error.code : "server_error";
      this.i18n.bind(hint, code === "no_viewer_build" ? "viewer_app.none" : "viewer_app.failed");
      hint.dataset.error = code;
    } finally {
      button.disabled = false;
    }
  }
}
