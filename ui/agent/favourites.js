// The agent's favourites (A9, CH7), for the Settings tab and the chat's Favourites menu: links
// and documents live on the relay with the account (/api/me/favourites), folders and programs
// in the desktop app's settings on this PC (/local/favourites: a path means nothing on another
// PC). No DOM here. Every change answers with the stored list, which the caller shows.

export const MAX_DOCUMENTS = 20; // relay_server/accounts/favourites_rules.py
export const MAX_DOCUMENTS_BYTES = 200 * 1024 * 1024;

/** Why a link cannot be saved (an i18n key), or null (the rules of linkify's safeHref). */
export function linkProblem({ title, url }) {
  if (!title.trim()) {
    return "fav.bad_title";
  }
  if (!/^https?:\/\/[^\s<>"'`]+$/i.test(url) || url.length > 2048) {
    return "fav.bad_url";
  }
  try {
    const parsed = new URL(url);
    if (!parsed.hostname || parsed.username || parsed.password) {
      return "fav.bad_url";
    }
  } catch {
    return "fav.bad_url";
  }
  return null;
}

/** Why a folder or program path cannot be saved (an i18n key), or null. */
export function pathProblem(path) {
  return /^(\/|~\/|[A-Za-z]:[\\/]|\\\\)/.test(path.trim()) ? null : "fav.bad_path";
}

/** `items` with the one at `index` moved by `step` (-1 up, +1 down); the same array if it cannot. */
export function moved(items, index, step) {
  const target = index + step;
  if (target < 0 || target >= items.length) {
    return items;
  }
  const copy = [...items];
  [copy[index], copy[target]] = [copy[target], copy[index]];
  return copy;
}

let localIds = 0;

export class Favourites {
  /**
   * @param {object} options
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   *   the relay's API with this window's sign-in
   * @param {object} options.backend the page's backend; the desktop one keeps folders and programs
   */
  constructor({ api, backend }) {
    this._api = api;
    this._backend = backend;
  }

  /** Folders and programs can be kept (the desktop app). */
  get local() {
    return typeof this._backend.localFavourites === "function";
  }

  /** {links, documents, local}. */
  async load() {
    const [{ links, documents }, local] = await Promise.all([
      this._api("GET", "/api/me/favourites"),
      this.local ? this._backend.localFavourites() : Promise.resolve([]),
    ]);
    return { links, documents, local };
  }

  async saveLinks(links) {
    return (await this._api("PUT", "/api/me/favourites/links", { body: { links } })).links;
  }

  /** Keep a File; resolves with the stored document. */
  async addDocument(file) {
    const query = new URLSearchParams({ name: file.name });
    const { document } = await this._api("POST", `/api/me/favourites/documents?${query}`, { blob: file });
    return document;
  }

  async renameDocument(id, name) {
    return (await this._api("PATCH", `/api/me/favourites/documents/${encodeURIComponent(id)}`, { body: { name } }))
      .document;
  }

  async orderDocuments(ids) {
    return (await this._api("PUT", "/api/me/favourites/documents/order", { body: { order: ids } })).documents;
  }

  async removeDocument(id) {
    await this._api("DELETE", `/api/me/favourites/documents/${encodeURIComponent(id)}`);
  }

  /** Copy a kept document into the session as a chat file; resolves with its transfer. */
  async sendDocument(sessionId, id) {
    const path = `/api/sessions/${encodeURIComponent(sessionId)}/favourites/${encodeURIComponent(id)}`;
    return (await this._api("POST", path)).transfer;
  }

  async saveLocal(list) {
    return this._backend.saveLocalFavourites(list);
  }

  /** The native dialog for a folder or a program: a path, or "" when closed. */
  async choosePath(kind) {
    return this._backend.chooseFavouritePath(kind);
  }

  /** Open a stored folder or program on this PC (by id: the app looks the path up itself). */
  async openLocal(id) {
    return this._backend.openFavourite(id);
  }

  static newLocalId() {
    localIds += 1;
    return `l${Date.now().toString(36)}${localIds}`;
  }
}
