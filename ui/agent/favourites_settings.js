// Settings › Favourites (A9): the agent's favourite links and documents (kept on the relay with
// the account) and, in the desktop app, folders and programs (kept on this PC). Add, rename,
// reorder and remove; every change is saved at once and the stored list is shown again.
// The data calls are in ./favourites.js; this module only builds the tab.

import { element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { iconElement } from "../common/icons.js";
import { formatBytes } from "../common/files/transfer_row.js";
import { MAX_LINK_TITLE_CHARS } from "../common/protocol.js";
import { Favourites, MAX_DOCUMENTS, MAX_DOCUMENTS_BYTES, linkProblem, moved, pathProblem } from "./favourites.js";

export class FavouritesSettings {
  /**
   * @param {HTMLElement} container the tab panel (emptied and filled)
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {Favourites} options.favourites
   */
  constructor(container, { i18n, favourites }) {
    this.i18n = i18n;
    this.favourites = favourites;
    this.data = { links: [], documents: [], local: [] };
    this._build(container);
  }

  async load() {
    try {
      this.data = await this.favourites.load();
      this._error.clear();
    } catch (error) {
      this._showError(error);
    }
    this._render();
  }

  _t(node, key, params) {
    this.i18n.bind(node, key, params);
    return node;
  }

  _build(container) {
    const intro = this._t(element("p", "rs-help"), "fav.intro");
    this._alert = element("div", "rs-alert", { "data-testid": "fav-error", "aria-live": "assertive" });
    this._error = new ErrorMessage(this._alert, this.i18n);
    this._status = element("p", "agent-fav__status", { "aria-live": "polite", "data-testid": "fav-status" });

    // Links: a title and an http(s) address.
    this._links = element("ul", "agent-fav__list", { "data-testid": "fav-links" });
    const linkForm = element("form", "agent-fav__form", { novalidate: "" });
    this._linkTitle = element("input", "rs-input", {
      id: "fav-link-title",
      "data-testid": "fav-link-title",
      maxlength: String(MAX_LINK_TITLE_CHARS),
    });
    this._linkUrl = element("input", "rs-input", {
      id: "fav-link-url",
      "data-testid": "fav-link-url",
      type: "url",
      spellcheck: "false",
      autocapitalize: "none",
      placeholder: "https://",
    });
    linkForm.append(
      this._field("fav-link-title", "fav.title_label", this._linkTitle),
      this._field("fav-link-url", "fav.url_label", this._linkUrl),
      this._button("fav.add_link", "fav-link-add", "plus", "rs-button--primary", "submit"),
    );
    linkForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this._addLink();
    });

    // Documents: files kept on the relay.
    this._documents = element("ul", "agent-fav__list", { "data-testid": "fav-documents" });
    this._quota = element("p", "rs-help", { "data-testid": "fav-quota" });
    this._fileInput = element("input", "rs-visually-hidden", {
      type: "file",
      multiple: "",
      "data-testid": "fav-document-input",
      tabindex: "-1",
      "aria-hidden": "true",
    });
    this._fileInput.addEventListener("change", () => this._addDocument());
    const addDocument = this._button("fav.add_document", "fav-document-add", "plus", "rs-button--secondary");
    addDocument.addEventListener("click", () => this._fileInput.click());

    const sections = [
      this._section("fav.links", "link", [this._links, linkForm]),
      this._section("fav.documents", "file", [this._documents, this._quota, this._fileInput, addDocument]),
    ];
    // Folders and programs: the desktop app only (paths on this PC).
    this._local = element("ul", "agent-fav__list", { "data-testid": "fav-local" });
    if (this.favourites.local) {
      const localForm = element("form", "agent-fav__form", { novalidate: "" });
      this._localTitle = element("input", "rs-input", {
        id: "fav-local-title",
        "data-testid": "fav-local-title",
        maxlength: "120",
      });
      this._localPath = element("input", "rs-input", {
        id: "fav-local-path",
        "data-testid": "fav-local-path",
        spellcheck: "false",
      });
      const addFolder = this._button("fav.add_folder", "fav-add-folder", "folder", "rs-button--secondary");
      const addProgram = this._button("fav.add_program", "fav-add-program", "program", "rs-button--secondary");
      addFolder.addEventListener("click", () => this._addLocal("folder"));
      addProgram.addEventListener("click", () => this._addLocal("program"));
      const pathRow = this._localPath;
      const buttons = element("div", "agent-fav__buttons");
      buttons.append(addFolder, addProgram);
      localForm.append(
        this._field("fav-local-title", "fav.title_label", this._localTitle),
        this._field("fav-local-path", "fav.path_label", pathRow),
        this._t(element("p", "rs-help"), "fav.path_hint"),
        buttons,
      );
      localForm.addEventListener("submit", (event) => event.preventDefault());
      sections.push(
        this._section("fav.local", "folder", [
          this._t(element("p", "rs-help"), "fav.local_note"),
          this._local,
          localForm,
        ]),
      );
    } else {
      sections.push(this._section("fav.local", "folder", [this._t(element("p", "rs-help"), "fav.local_browser")]));
    }
    container.replaceChildren(intro, this._alert, ...sections, this._status);
  }

  /** Say what went wrong next to the section the agent is working in (where the focus is). */
  _placeAlert() {
    const section = document.activeElement?.closest?.(".agent-fav__section");
    if (section && this._alert.parentElement !== section) {
      section.append(this._alert);
    }
  }

  _showError(error) {
    this._placeAlert();
    this._error.show(error);
  }

  _showKey(key) {
    this._placeAlert();
    this._error.showKey(key);
  }

  _section(titleKey, icon, children) {
    const section = element("section", "agent-fav__section");
    const title = element("h2", "agent-fav__title");
    const label = this._t(element("span"), titleKey);
    title.append(iconElement(icon), label);
    section.append(title, ...children);
    return section;
  }

  _field(id, labelKey, control) {
    const field = element("div", "rs-field");
    field.append(this._t(element("label", "rs-label", { for: id }), labelKey), control);
    return field;
  }

  _button(key, testId, icon, kind, type = "button") {
    const button = element("button", `rs-button ${kind} rs-button--small`, { type, "data-testid": testId });
    if (icon) {
      button.append(iconElement(icon));
    }
    button.append(this._t(element("span"), key));
    return button;
  }

  _iconButton(icon, labelKey, name, onClick, testId) {
    const button = element("button", "rs-button rs-button--ghost rs-button--small", {
      type: "button",
      "data-testid": testId,
    });
    button.dataset.i18nAriaLabel = labelKey;
    button.setAttribute("aria-label", `${this.i18n.t(labelKey)}: ${name}`);
    button.title = this.i18n.t(labelKey);
    button.append(iconElement(icon));
    button.addEventListener("click", onClick);
    return button;
  }

  _row(kind, icon, title, detail, index, count, { onRename, onMove, onRemove }) {
    const item = element("li", "agent-fav__item", { "data-testid": `fav-${kind}-item` });
    const glyph = element("span", "agent-fav__icon", { "aria-hidden": "true" });
    glyph.append(iconElement(icon));
    const text = element("span", "agent-fav__text");
    const name = element("span", "agent-fav__name", { "data-testid": "fav-name" }, title);
    text.append(name, element("span", "agent-fav__detail", {}, detail));
    const up = this._iconButton("back", "fav.move_up", title, () => onMove(index, -1), "fav-up");
    up.classList.add("agent-fav__up");
    up.disabled = index === 0;
    const down = this._iconButton("back", "fav.move_down", title, () => onMove(index, 1), "fav-down");
    down.classList.add("agent-fav__down");
    down.disabled = index === count - 1;
    const rename = this._iconButton("edit", "fav.rename", title, () => this._rename(item, name, title, onRename), "fav-rename");
    const remove = this._iconButton("trash", "fav.remove", title, onRemove, "fav-remove");
    item.append(glyph, text, up, down, rename, remove);
    return item;
  }

  /** Turn the name into a field; Enter saves, Escape cancels. */
  _rename(item, nameNode, current, onRename) {
    const input = element("input", "rs-input agent-fav__rename", { "data-testid": "fav-rename-input" });
    input.value = current;
    input.setAttribute("aria-label", this.i18n.t("fav.rename"));
    nameNode.replaceWith(input);
    input.focus();
    input.select();
    let done = false;
    const finish = async (save) => {
      if (done) {
        return;
      }
      done = true;
      const value = input.value.trim();
      if (save && value && value !== current) {
        await this._apply(() => onRename(value));
      } else {
        input.replaceWith(nameNode);
      }
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        finish(true);
      } else if (event.key === "Escape") {
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(true));
  }

  async _apply(change, doneKey = "fav.saved", params = {}) {
    try {
      await change();
      this._error.clear();
      this.i18n.bind(this._status, doneKey, params);
      return true;
    } catch (error) {
      this._showError(error);
      return false;
    } finally {
      this._render();
    }
  }

  _render() {
    const { links, documents, local } = this.data;
    this._links.replaceChildren(
      ...links.map((link, index) =>
        this._row("link", "link", link.title, link.url, index, links.length, {
          onRename: async (title) => {
            this.data.links = await this.favourites.saveLinks(links.map((l) => (l.id === link.id ? { ...l, title } : l)));
          },
          onMove: (at, step) => this._apply(async () => {
            this.data.links = await this.favourites.saveLinks(moved(links, at, step));
          }),
          onRemove: () => this._apply(async () => {
            this.data.links = await this.favourites.saveLinks(links.filter((l) => l.id !== link.id));
          }),
        }),
      ),
    );
    this._empty(this._links, links, "fav.empty_links");
    const locale = this.i18n.language;
    this._documents.replaceChildren(
      ...documents.map((document, index) =>
        this._row("document", "file", document.name, formatBytes(document.size, locale), index, documents.length, {
          onRename: async (name) => {
            const renamed = await this.favourites.renameDocument(document.id, name);
            this.data.documents = documents.map((d) => (d.id === document.id ? renamed : d));
          },
          onMove: (at, step) => this._apply(async () => {
            this.data.documents = await this.favourites.orderDocuments(moved(documents, at, step).map((d) => d.id));
          }),
          onRemove: () => this._apply(async () => {
            await this.favourites.removeDocument(document.id);
            this.data.documents = documents.filter((d) => d.id !== document.id);
          }),
        }),
      ),
    );
    this._empty(this._documents, documents, "fav.empty_documents");
    const used = documents.reduce((sum, d) => sum + d.size, 0);
    this.i18n.bind(this._quota, "fav.documents_quota", {
      count: documents.length,
      max: MAX_DOCUMENTS,
      used: formatBytes(used, locale),
      limit: formatBytes(MAX_DOCUMENTS_BYTES, locale),
    });
    if (this.favourites.local) {
      const save = async (list) => {
        this.data.local = await this.favourites.saveLocal(list);
      };
      this._local.replaceChildren(
        ...local.map((favourite, index) =>
          this._row("local", favourite.kind, favourite.title, favourite.path, index, local.length, {
            onRename: (title) => save(local.map((f) => (f.id === favourite.id ? { ...f, title } : f))),
            onMove: (at, step) => this._apply(() => save(moved(local, at, step))),
            onRemove: () => this._apply(() => save(local.filter((f) => f.id !== favourite.id))),
          }),
        ),
      );
      this._empty(this._local, local, "fav.empty_local");
    }
  }

  _empty(list, items, key) {
    if (items.length === 0) {
      list.append(this._t(element("li", "agent-fav__empty"), key));
    }
  }

  async _addLink() {
    const link = { title: this._linkTitle.value.trim(), url: this._linkUrl.value.trim() };
    const problem = linkProblem(link);
    if (problem) {
      this._showKey(problem);
      (problem === "fav.bad_title" ? this._linkTitle : this._linkUrl).focus();
      return;
    }
    const saved = await this._apply(async () => {
      this.data.links = await this.favourites.saveLinks([...this.data.links, link]);
    });
    if (saved) {
      this._linkTitle.value = this._linkUrl.value = "";
      this._linkTitle.focus();
    }
  }

  async _addDocument() {
    const files = [...this._fileInput.files];
    this._fileInput.value = "";
    for (const file of files) {
      this.i18n.bind(this._status, "fav.uploading", { name: file.name });
      await this._apply(async () => {
        this.data.documents = [...this.data.documents, await this.favourites.addDocument(file)];
      });
    }
  }

  /** Add a folder or a program: the path typed, or (none typed) one picked in the native dialog. */
  async _addLocal(kind) {
    let path = this._localPath.value.trim();
    if (!path) {
      try {
        path = await this.favourites.choosePath(kind);
      } catch (error) {
        this._showError(error);
        return;
      }
      if (!path) {
        return; // the dialog was closed
      }
    }
    const problem = pathProblem(path);
    if (problem) {
      this._showKey(problem);
      this._localPath.focus();
      return;
    }
    const title = this._localTitle.value.trim() || path.split(/[\\/]/).filter(Boolean).at(-1) || path;
    const favourite = { id: Favourites.newLocalId(), kind, title, path };
    const saved = await this._apply(async () => {
      this.data.local = await this.favourites.saveLocal([...this.data.local, favourite]);
    });
    if (saved) {
      this._localTitle.value = this._localPath.value = "";
    }
  }
}
