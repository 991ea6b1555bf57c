// Agent info (A2): the profile customers see (name, title, company, phone, e-mail) and the
// photo. Text goes to `PUT /api/me`; a chosen photo is previewed at once and uploaded as raw
// bytes to `PUT /api/me/photo`; "Remove photo" is `DELETE /api/me/photo`.

import { byId, setAvatar } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { ApiError } from "../common/http.js";

const FIELDS = Object.freeze(["name", "title", "company", "phone", "email"]);
const MAX_PHOTO_BYTES = 1024 * 1024;
const PHOTO_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);

export class ProfilePanel {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   * @param {(photoUrl: string) => Promise<string>} options.photoSrc an <img> src for photo_url
   * @param {(agent: object) => void} options.onAgent told of the saved profile
   * @param {(error: Error) => boolean} options.onAuthError told of failures; true = handled
   */
  constructor({ i18n, api, photoSrc, onAgent, onAuthError }) {
    this.i18n = i18n;
    this._api = api;
    this._photoSrc = photoSrc;
    this._onAgent = onAgent;
    this._onAuthError = onAuthError;
    this._agent = null;
    this._busy = false;
    this.formMessage = new ErrorMessage(byId("profile-message"), i18n);
    this.photoMessage = new ErrorMessage(byId("photo-message"), i18n);
    byId("profile-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this._save();
    });
    byId("photo-choose").addEventListener("click", () => byId("photo-input").click());
    byId("photo-input").addEventListener("change", () => this._upload());
    byId("photo-remove").addEventListener("click", () => this._removePhoto());
  }

  /** Fill the form with the current profile. */
  show(agent) {
    this._agent = agent;
    for (const field of FIELDS) {
      byId(`profile-${field}`).value = agent[field] ?? "";
      byId(`profile-${field}`).removeAttribute("aria-invalid");
    }
    this.formMessage.clear();
    this.photoMessage.clear();
    this._renderPhoto();
    byId("profile-name").focus();
  }

  async _renderPhoto(previewSrc) {
    const agent = this._agent;
    const render = (this._renders = (this._renders ?? 0) + 1);
    byId("photo-remove").hidden = !agent.photo_url;
    let src = previewSrc;
    if (src === undefined && agent.photo_url) {
      src = await this._photoSrc(agent.photo_url).catch(() => "");
      if (render !== this._renders) {
        return; // a newer render (e.g. the photo was removed meanwhile) already drew the avatar
      }
    }
    setAvatar(byId("profile-avatar"), agent.name || agent.username, src);
  }

  async _save() {
    if (this._busy) {
      return;
    }
    const email = byId("profile-email");
    if (!email.checkValidity()) {
      email.setAttribute("aria-invalid", "true");
      this.formMessage.showKey("profile.bad_email");
      email.focus();
      return;
    }
    email.removeAttribute("aria-invalid");
    const body = Object.fromEntries(FIELDS.map((field) => [field, byId(`profile-${field}`).value.trim()]));
    await this._run(byId("profile-save"), "profile.saving", "profile.save", async () => {
      const { agent } = await this._api("PUT", "/api/me", { body });
      this._agent = agent;
      this._onAgent(agent);
      this.formMessage.showKey("profile.saved");
      byId("profile-message").classList.add("rs-alert--success");
    }, this.formMessage);
  }

  async _upload() {
    const input = byId("photo-input");
    const file = input.files?.[0];
    input.value = ""; // choosing the same file again must fire `change` again
    if (!file) {
      return;
    }
    this.photoMessage.clear();
    if (file.size > MAX_PHOTO_BYTES) {
      this.photoMessage.show(new ApiError("too_large", "the photo is over 1 MiB", { status: 413 }));
      return;
    }
    if (file.type && !PHOTO_TYPES.has(file.type)) {
      this.photoMessage.show(new ApiError("bad_photo", `a ${file.type} file`, { status: 400 }));
      return;
    }
    const preview = URL.createObjectURL(file);
    this._renderPhoto(preview);
    await this._run(byId("photo-choose"), "profile.uploading", "profile.choose_photo", async () => {
      const { agent } = await this._api("PUT", "/api/me/photo", { blob: file });
      this._agent = agent;
      this._onAgent(agent);
      this.photoMessage.showKey("profile.photo_saved");
      byId("photo-message").classList.add("rs-alert--success");
    }, this.photoMessage);
    URL.revokeObjectURL(preview);
    this._renderPhoto();
  }

  async _removePhoto() {
    this.photoMessage.clear();
    await this._run(byId("photo-remove"), "profile.removing", "profile.remove_photo", async () => {
      const { agent } = await this._api("DELETE", "/api/me/photo");
      this._agent = agent;
      this._onAgent(agent);
      this._renderPhoto();
      byId("photo-choose").focus();
    }, this.photoMessage);
  }

  /** Run one request with its button busy; failures go to `message`. */
  async _run(button, busyKey, idleKey, work, message) {
    this._busy = true;
    button.disabled = true;
    const label = button.querySelector("[data-i18n]") ?? button;
    this.i18n.bind(label, busyKey);
    try {
      await work();
    } catch (error) {
      if (!this._onAuthError(error)) {
        message.show(error);
      }
    } finally {
      this._busy = false;
      button.disabled = false;
      this.i18n.bind(label, idleKey);
    }
  }
}
