// The history view (A10 support history in the agent app and /agent; AD2 usage history on the
// admin site): filters, a paged list of ended sessions (newest first), a detail with the whole
// transcript, notes (editable by their agent), participants, files, screen sharing and control
// use, and the Excel export. The relay's API is docs/protocol.md, *History*.
// Text only through textContent; the query string is built in history_query.js (pure).

import { element } from "../dom.js";
import { iconElement } from "../icons.js";
import { formatBytes, historyQuery, pageCount } from "./history_query.js";

const PER_PAGE = 25;

export class HistoryView {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root where the view is built
   * @param {object} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<any>} options.api
   * @param {boolean} [options.admin] everyone's sessions, an agent filter, notes read-only
   * @param {(path: string) => Promise<string>} options.download fetches the export at `path`
   *   and saves it; resolves with what to tell the user (a file name or a path)
   * @param {(error: Error) => boolean} [options.onAuthError] true when a 401 was handled
   */
  constructor({ root, i18n, api, admin = false, download, onAuthError = () => false, localRecordings = null }) {
    this.root = root;
    // P9, desktop app: this PC's recordings of a session ({name}[]) and opening one; the relay
    // never has them, so without this the section says there are none.
    this.localRecordings = localRecordings;
    this.i18n = i18n;
    this.api = api;
    this.admin = admin;
    this.download = download;
    this.onAuthError = onAuthError;
    this.base = admin ? "/api/admin/history" : "/api/history";
    this.page = 1;
    this.result = null;
    this.detail = null;
    this._build();
    i18n.onChange(() => {
      this._renderList();
      if (this.detail) this._renderDetail();
    });
  }

  // ---------- building ----------

  _build() {
    this.root.classList.add("rs-history");
    this.root.replaceChildren();
    const head = element("div", "rs-history__head");
    const titles = element("div");
    this.title = element("h1", "rs-history__title");
    this.subtitle = element("p", "rs-help");
    titles.append(this.title, this.subtitle);
    this.exportButton = this._button("rs-button rs-button--secondary", "history-export", "download");
    head.append(titles, this.exportButton);

    this.form = element("form", "rs-card rs-history__filters", { "data-testid": "history-filters" });
    this.fields = {};
    const add = (name, label, input) => {
      const id = `history-${name}`;
      input.id = id;
      input.dataset.testid = id;
      const field = element("div", `rs-field rs-history__field rs-history__field--${name}`);
      const caption = element("label", "rs-label", { for: id });
      caption.dataset.key = label;
      field.append(caption, input);
      this.form.append(field);
      this.fields[name] = input;
    };
    add("from", "history.from", element("input", "rs-input", { type: "date" }));
    add("to", "history.to", element("input", "rs-input", { type: "date" }));
    add("customer", "history.customer", element("input", "rs-input", { type: "search", maxlength: "120" }));
    add("q", "history.text", element("input", "rs-input", { type: "search", maxlength: "200" }));
    if (this.admin) {
      add("agent", "history.agent", element("input", "rs-input", { type: "search", maxlength: "64", autocapitalize: "none" }));
    }
    add("presented", "history.presented", this._select(["any", "yes", "no"]));
    add("files", "history.files", this._select(["any", "yes", "no"]));
    add("duration", "history.duration", this._select(["any", "short", "medium", "long"]));
    const actions = element("div", "rs-history__actions");
    this.searchButton = this._button("rs-button rs-button--primary", "history-search", "search");
    this.searchButton.type = "submit";
    this.clearButton = this._button("rs-button rs-button--ghost", "history-clear");
    actions.append(this.searchButton, this.clearButton);
    this.form.append(actions);

    this.status = element("p", "rs-history__status", { role: "status", "data-testid": "history-status" });
    this.error = element("div", "rs-alert", { "aria-live": "assertive", "data-testid": "history-error" });

    this.listPane = element("div", "rs-card rs-history__list");
    this.table = element("table", "rs-history__table", { "data-testid": "history-table" });
    this.thead = element("thead");
    this.tbody = element("tbody");
    this.table.append(this.thead, this.tbody);
    this.pager = element("div", "rs-history__pager");
    this.prevButton = this._button("rs-button rs-button--secondary rs-button--small", "history-prev");
    this.pageLabel = element("span", "rs-help", { "data-testid": "history-page" });
    this.nextButton = this._button("rs-button rs-button--secondary rs-button--small", "history-next");
    this.pager.append(this.prevButton, this.pageLabel, this.nextButton);
    const scroller = element("div", "rs-history__scroll");
    scroller.append(this.table);
    this.listPane.append(scroller, this.pager);

    this.detailPane = element("section", "rs-card rs-history__detail", { "data-testid": "history-detail", tabindex: "-1" });
    this.detailPane.hidden = true;

    const body = element("div", "rs-history__body");
    body.append(this.listPane, this.detailPane);
    this.root.append(head, this.form, this.error, this.status, body);

    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.search(1);
    });
    this.clearButton.addEventListener("click", () => {
      this.form.reset();
      this.search(1);
    });
    this.prevButton.addEventListener("click", () => this.search(this.page - 1));
    this.nextButton.addEventListener("click", () => this.search(this.page + 1));
    this.exportButton.addEventListener("click", () => this.exportExcel());
    this._applyStatic();
  }

  _button(className, testid, icon) {
    const button = element("button", className, { type: "button", "data-testid": testid });
    if (icon) button.append(iconElement(icon));
    button.append(element("span"));
    return button;
  }

  _select(values) {
    const select = element("select", "rs-select rs-input");
    for (const value of values) {
      select.append(element("option", "", { value }));
    }
    return select;
  }

  _applyStatic() {
    const t = (key, params) => this.i18n.t(key, params);
    this.title.textContent = t(this.admin ? "history.admin_title" : "history.title");
    this.subtitle.textContent = t(this.admin ? "history.admin_subtitle" : "history.subtitle");
    this.form.setAttribute("aria-label", t("history.filters"));
    for (const caption of this.form.querySelectorAll("label[data-key]")) {
      caption.textContent = t(caption.dataset.key);
    }
    this.fields.q.placeholder = t("history.text_hint");
    const optionKeys = {
      any: "history.any", yes: "history.yes", no: "history.no",
      short: "history.duration_short", medium: "history.duration_medium", long: "history.duration_long",
    };
    for (const option of this.form.querySelectorAll("option")) {
      option.textContent = t(optionKeys[option.value]);
    }
    this.searchButton.lastChild.textContent = t("history.search");
    this.clearButton.lastChild.textContent = t("history.clear");
    this.exportButton.lastChild.textContent = t("history.export");
    this.prevButton.lastChild.textContent = t("history.prev");
    this.nextButton.lastChild.textContent = t("history.next");
  }

  // ---------- the list ----------

  /** Load page `page` of the sessions the filters match. */
  async search(page = 1) {
    this.page = Math.max(1, page);
    this.error.textContent = "";
    this.status.textContent = this.i18n.t("history.loading");
    const query = historyQuery(this._filters(), { page: this.page, per_page: PER_PAGE });
    try {
      this.result = await this.api("GET", `${this.base}?${query}`);
    } catch (error) {
      this._fail(error);
      return;
    }
    this._renderList();
  }

  _filters() {
    const values = {};
    for (const [name, input] of Object.entries(this.fields)) {
      values[name] = input.value;
    }
    return values;
  }

  _filtersEmpty() {
    return Object.entries(this._filters()).every(([, value]) => !value || value === "any");
  }

  _renderList() {
    this._applyStatic();
    const t = (key, params) => this.i18n.t(key, params);
    const columns = ["history.col_started", ...(this.admin ? ["history.col_agent"] : []),
      "history.col_customer", "history.col_duration", "history.col_messages", "history.col_used"];
    const headRow = element("tr");
    for (const key of columns) {
      headRow.append(element("th", "", { scope: "col" }, t(key)));
    }
    this.thead.replaceChildren(headRow);
    const result = this.result;
    if (!result) {
      return;
    }
    const total = result.total;
    this.status.classList.remove("rs-history__status--export");
    this.status.textContent =
      total === 0
        ? t(this._filtersEmpty() ? "history.empty" : "history.none")
        : total === 1 ? t("history.count_one") : t("history.count", { n: total.toLocaleString(this.i18n.locale) });
    this.tbody.replaceChildren(...result.sessions.map((session) => this._row(session)));
    const pages = pageCount(total, result.per_page);
    this.pageLabel.textContent = t("history.page", { page: result.page, pages });
    this.prevButton.disabled = result.page <= 1;
    this.nextButton.disabled = result.page >= pages;
    this.pager.hidden = total <= result.per_page;
  }

  _row(session) {
    const t = (key, params) => this.i18n.t(key, params);
    const row = element("tr", "rs-history__row", { "data-testid": "history-row", "data-session-id": session.id });
    if (this.detail?.id === session.id) {
      row.setAttribute("aria-selected", "true");
    }
    const name = session.customers || t("history.no_customer");
    const open = element("button", "rs-history__open", { type: "button" }, this.i18n.formatDateTime(session.started_at));
    open.setAttribute("aria-label", `${t("history.open", { name })} · ${open.textContent}`);
    open.addEventListener("click", () => this.open(session.id));
    const started = element("td");
    started.append(open);
    row.append(started);
    if (this.admin) {
      row.append(element("td", "", {}, session.agent_name || session.agent_username));
    }
    row.append(element("td", "rs-history__customer", {}, name));
    row.append(element("td", "", {}, this.i18n.formatDuration(session.duration_s)));
    row.append(element("td", "rs-history__num", {}, String(session.message_count)));
    const tags = element("div", "rs-history__used");
    if (session.presented) tags.append(element("span", "rs-history__tag", {}, t("history.used_screen")));
    if (session.controlled) tags.append(element("span", "rs-history__tag", {}, t("history.used_control")));
    if (session.file_count) {
      const files = session.file_count === 1 ? t("history.used_file_one") : t("history.used_files", { n: session.file_count });
      tags.append(element("span", "rs-history__tag", {}, files));
    }
    if (!tags.childElementCount) {
      tags.append(element("span", "rs-help", { "aria-hidden": "true" }, "–"));
    }
    const used = element("td");
    used.append(tags);
    row.append(used);
    row.addEventListener("click", (event) => {
      if (!event.target.closest("button")) this.open(session.id); // the button opens it itself
    });
    return row;
  }

  // ---------- the detail ----------

  /** Show one session's whole record. */
  async open(sessionId) {
    this.error.textContent = "";
    try {
      const { session } = await this.api("GET", `${this.base}/${encodeURIComponent(sessionId)}`);
      this.detail = session;
    } catch (error) {
      this._fail(error);
      return;
    }
    this.root.classList.add("rs-history--detail");
    this._renderDetail();
    this._renderList();
    this.detailPane.focus({ preventScroll: true });
    if (getComputedStyle(this.listPane).display === "none") {
      this.root.scrollIntoView({ block: "start" }); // the detail replaced the list: its top
    }
  }

  close() {
    this.detail = null;
    this.root.classList.remove("rs-history--detail");
    this.detailPane.hidden = true;
    this._renderList();
    this.tbody.querySelector("button")?.focus({ preventScroll: true });
  }

  _renderDetail() {
    const t = (key, params) => this.i18n.t(key, params);
    const s = this.detail;
    const pane = this.detailPane;
    pane.hidden = false;
    const name = s.customer_name || (s.participants ?? []).filter((p) => p.role !== "agent").map((p) => p.name).join(", ") || t("history.no_customer");
    const back = this._button("rs-button rs-button--ghost rs-button--small rs-history__back", "history-back", "back");
    back.lastChild.textContent = t("history.back");
    back.addEventListener("click", () => this.close());
    const title = element("h2", "rs-history__detail-title", { "data-testid": "history-detail-title" }, t("history.detail_title", { name }));

    const facts = element("dl", "rs-history__facts");
    const fact = (key, value) => facts.append(element("dt", "", {}, t(key)), element("dd", "", {}, value));
    fact("history.started", this.i18n.formatDateTime(s.started_at ?? s.created_at));
    fact("history.ended", this.i18n.formatDateTime(s.ended_at));
    fact("history.col_duration", this.i18n.formatDuration(s.duration_s ?? 0));
    if (this.admin) fact("history.col_agent", s.agent?.name || s.agent_username);
    const endedBy = { agent: "history.by_agent", customer: "history.by_customer", admin: "history.by_admin" }[s.ended_by] ?? "history.by_relay";
    fact("history.ended_by", t(endedBy, { name: s.ended_by_admin ?? "" }));

    pane.replaceChildren(back, title, facts,
      this._section("history.participants", this._participants(s, name)),
      this._section("history.notes", this._notes(s)),
      this._section("history.files_title", this._files(s)),
      this._section("history.usage", this._usage(s)),
      this._section("history.recording", this._recordings(s)),
      this._section("history.transcript", this._transcript(s)));
  }

  _section(key, content) {
    const section = element("section", "rs-history__section");
    section.append(element("h3", "rs-history__section-title", {}, this.i18n.t(key)), content);
    return section;
  }

  _participants(s, customerName) {
    const t = (key, params) => this.i18n.t(key, params);
    const list = element("ul", "rs-history__people", { "data-testid": "history-participants" });
    const people = Array.isArray(s.participants) && s.participants.length
      ? s.participants
      : [
          { role: "agent", name: s.agent?.name || s.agent_username },
          ...(s.customer_name ? [{ role: "customer", name: customerName, joined_at: s.started_at, left_at: s.ended_at }] : []),
        ];
    for (const person of people) {
      const item = element("li");
      const role = person.role === "agent" ? "history.role_agent" : "history.role_customer";
      item.append(element("strong", "", {}, person.name || t("history.no_customer")), element("span", "rs-history__role", {}, t(role)));
      if (person.joined_at) {
        const left = person.left_at ? this.i18n.formatTime(person.left_at) : "–";
        item.append(element("span", "rs-help", {}, t("history.joined_left", { joined: this.i18n.formatTime(person.joined_at), left })));
      }
      list.append(item);
    }
    return list;
  }

  _notes(s) {
    const t = (key) => this.i18n.t(key);
    const box = element("div", "rs-history__notes");
    if (this.admin) {
      box.append(element("p", "rs-history__notes-text", { "data-testid": "history-notes-text" }, s.notes || t("history.notes_none")));
      return box;
    }
    const area = element("textarea", "rs-input rs-history__notes-input", { rows: "4", maxlength: "20000", "data-testid": "history-notes" });
    area.value = s.notes ?? "";
    area.setAttribute("aria-label", t("history.notes"));
    const save = this._button("rs-button rs-button--primary rs-button--small", "history-notes-save", "save");
    save.lastChild.textContent = t("history.notes_save");
    const said = element("span", "rs-help", { role: "status", "data-testid": "history-notes-status" });
    save.addEventListener("click", async () => {
      save.disabled = true;
      try {
        const saved = await this.api("PUT", `/api/sessions/${encodeURIComponent(s.id)}/notes`, { body: { notes: area.value } });
        s.notes = saved.notes;
        said.textContent = t("history.notes_saved");
      } catch (error) {
        this._fail(error);
      } finally {
        save.disabled = false;
      }
    });
    const row = element("div", "rs-history__notes-actions");
    row.append(save, said);
    box.append(area, row);
    return box;
  }

  _files(s) {
    const t = (key, params) => this.i18n.t(key, params);
    const files = s.files ?? [];
    if (!files.length) {
      return element("p", "rs-help", {}, t("history.files_none"));
    }
    const list = element("ul", "rs-history__files", { "data-testid": "history-file-list" });
    for (const file of files) {
      const item = element("li");
      const who = t(file.sender === "agent" ? "history.role_agent" : "history.role_customer");
      item.append(
        element("strong", "rs-history__file-name", {}, file.name),
        element("span", "rs-help", {}, `${formatBytes(file.size)} · ${t("history.file_sent_by", { who })}`),
      );
      if (file.sha256) {
        // An upload that never finished has no checksum: no "SHA-256 undefined".
        item.append(element("code", "rs-history__sha", { title: "SHA-256" }, `SHA-256 ${file.sha256}`));
      }
      list.append(item);
    }
    return list;
  }

  _usage(s) {
    const t = (key, params) => this.i18n.t(key, params);
    const list = element("ul", "rs-history__usage", { "data-testid": "history-usage" });
    list.append(element("li", "", {}, s.presentations ? t("history.presented_times", { n: s.presentations }) : t("history.presented_never")));
    list.append(element("li", "", {}, s.control_grants ? t("history.control_times", { n: s.control_grants }) : t("history.control_never")));
    return list;
  }

  _recordings(s) {
    const recordings = s.recordings ?? [];
    if (!recordings.length && this.localRecordings) {
      const holder = element("div", "", { "data-testid": "history-recording" });
      this._localRecordings(s.id, holder);
      return holder;
    }
    if (!recordings.length) {
      return element("p", "rs-help", { "data-testid": "history-recording" }, this.i18n.t("history.recording_none"));
    }
    const list = element("ul", "rs-history__recordings");
    for (const recording of recordings) {
      const link = element("a", "", { href: recording.url ?? "#", target: "_blank", rel: "noopener" }, this.i18n.t("history.recording_open"));
      const item = element("li");
      item.append(link);
      list.append(item);
    }
    return list;
  }

  async _localRecordings(sessionId, holder) {
    let recordings = [];
    try {
      recordings = await this.localRecordings.list(sessionId);
    } catch (error) {
      console.warn("recordings of this PC unavailable:", error.message);
    }
    if (!recordings.length) {
      holder.replaceChildren(element("p", "rs-help", {}, this.i18n.t("history.recording_none")));
      return;
    }
    const list = element("ul", "rs-history__recordings");
    for (const recording of recordings) {
      const open = element("button", "rs-button rs-button--secondary rs-button--small", {
        type: "button",
        "data-testid": "history-recording-open",
      }, this.i18n.t("history.recording_open"));
      open.addEventListener("click", () => this.localRecordings.open(recording.name));
      const item = element("li", "", {}, `${recording.name} `);
      item.append(open);
      list.append(item);
    }
    holder.replaceChildren(list);
  }

  _transcript(s) {
    const t = (key) => this.i18n.t(key);
    const messages = s.messages ?? [];
    if (!messages.length) {
      return element("p", "rs-help", {}, t("history.transcript_none"));
    }
    const list = element("ol", "rs-history__transcript", { "data-testid": "history-transcript" });
    for (const message of messages) {
      const item = element("li", `rs-history__message rs-history__message--${message.role === "agent" ? "agent" : "customer"}`);
      const meta = element("div", "rs-history__meta");
      meta.append(element("strong", "", {}, message.name || t(message.role === "agent" ? "history.role_agent" : "history.role_customer")),
        element("time", "rs-help", {}, this.i18n.formatTime(message.sent_at)));
      item.append(meta, element("p", "rs-history__text", {}, message.text));
      list.append(item);
    }
    return list;
  }

  // ---------- export ----------

  async exportExcel() {
    const query = historyQuery(this._filters(), {
      tz_offset_min: -new Date().getTimezoneOffset(),
      lang: this.i18n.language ?? "en",
    });
    this.exportButton.disabled = true;
    this.error.textContent = "";
    // Shown in the detail view too (where the list's count is hidden): the export's progress
    // and where the file went are the only answer to the button.
    this.status.classList.add("rs-history__status--export");
    this.status.textContent = this.i18n.t("history.exporting");
    try {
      const saved = await this.download(`${this.base}/export.xlsx?${query}`);
      this.status.textContent = saved.includes("/") || saved.includes("\\")
        ? this.i18n.t("history.exported_to", { path: saved })
        : this.i18n.t("history.exported", { name: saved });
    } catch (error) {
      this.status.textContent = "";
      this._fail(error);
    } finally {
      this.exportButton.disabled = false;
    }
  }

  _fail(error) {
    if (this.onAuthError(error)) {
      return;
    }
    this.status.textContent = "";
    const key = `error.${error?.code}`;
    const text = this.i18n.t(key);
    this.error.textContent = text === key ? this.i18n.t("error.server_error") : text;
  }
}
