// The admin site's usage statistics (AD3): a period (presets or two dates, in the browser's
// time zone) and an agent filter; tiles with the totals; charts (Chart.js, vendored in
// ui/vendor/chartjs) of sessions per day, per agent, the features used and the reservations,
// each with its numbers in a table beside it; the busiest hours of the week as a heat map
// table; the Excel export. Contract: docs/protocol.md, *Usage statistics*.

import "../vendor/chartjs/chart.umd.min.js"; // sets globalThis.Chart (UMD)
import { byId, element } from "../common/dom.js";
import { ErrorMessage } from "../common/error_message.js";
import { iconElement } from "../common/icons.js";
import {
  CHART_AGENTS,
  FEATURES,
  RESERVATION_OUTCOMES,
  browserTimeZone,
  LONG_PERIOD_DAYS,
  busiestHour,
  chartSeries,
  compactDuration,
  heatLevel,
  presetRange,
  statisticsQuery,
} from "./statistics_model.js";

const Chart = globalThis.Chart;
const BASE = "/api/admin/statistics";

export class StatisticsPanel {
  /**
   * @param {object} options
   * @param {HTMLElement} options.root the empty `<section id="statistics">`
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {(method: string, path: string, options?: object) => Promise<any>} options.api
   */
  constructor({ root, i18n, api }) {
    this.root = root;
    this.i18n = i18n;
    this.api = api;
    this.stats = null;
    this.charts = new Map();
    this.timeZone = browserTimeZone();
    this._loading = 0;
    this._build();
    this.error = new ErrorMessage(this.errorBox, i18n);
    this.preset.value = "30";
    this._applyPreset();
    i18n.onChange(() => this._render());
  }

  /** Show the section: fill the agent list, count the chosen period. */
  async load() {
    this._loadAgents();
    await this.show();
  }

  // ---------- building the static part ----------

  _build() {
    const t = (key) => this.i18n.t(key);
    const head = element("div", "admin-section__head");
    const titles = element("div");
    titles.append(
      element("h1", "admin-title", { id: "statistics-title", "data-i18n": "statistics.title" }, t("statistics.title")),
      element("p", "rs-help", { "data-i18n": "statistics.subtitle" }, t("statistics.subtitle")),
    );
    this.exportButton = element("button", "rs-button rs-button--secondary", { type: "button", "data-testid": "statistics-export" });
    this.exportButton.append(iconElement("download"), element("span", "", { "data-i18n": "statistics.export" }, t("statistics.export")));
    this.exportButton.addEventListener("click", () => this.exportExcel());
    head.append(titles, this.exportButton);

    const form = element("form", "rs-card stats-filters", { "data-testid": "statistics-form", novalidate: "" });
    const field = (id, key, control) => {
      const box = element("div", "rs-field");
      box.append(element("label", "rs-label", { for: id, "data-i18n": key }, t(key)), control);
      form.append(box);
      return control;
    };
    this.preset = field("statistics-preset", "statistics.period", element("select", "rs-select", { id: "statistics-preset", "data-testid": "statistics-preset" }));
    for (const value of ["7", "30", "90", "365", "custom"]) {
      const key = `statistics.preset_${value}`;
      this.preset.append(element("option", "", { value, "data-i18n": key }, t(key)));
    }
    this.from = field("statistics-from", "statistics.from", element("input", "rs-input", { id: "statistics-from", type: "date", "data-testid": "statistics-from", required: "" }));
    this.to = field("statistics-to", "statistics.to", element("input", "rs-input", { id: "statistics-to", type: "date", "data-testid": "statistics-to", required: "" }));
    this.agent = field("statistics-agent", "statistics.agent", element("select", "rs-select", { id: "statistics-agent", "data-testid": "statistics-agent" }));
    this.agent.append(element("option", "", { value: "", "data-i18n": "statistics.all_agents" }, t("statistics.all_agents")));
    this.showButton = element("button", "rs-button rs-button--primary", { type: "submit", "data-testid": "statistics-show", "data-i18n": "statistics.show" }, t("statistics.show"));
    form.append(this.showButton);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.show();
    });
    this.preset.addEventListener("change", () => {
      this._applyPreset();
      if (this.preset.value !== "custom") {
        this.show();
      }
    });
    for (const input of [this.from, this.to]) {
      input.addEventListener("change", () => {
        this.preset.value = "custom";
      });
    }
    this.agent.addEventListener("change", () => this.show());

    this.errorBox = element("div", "rs-alert", { "data-testid": "statistics-error", "aria-live": "assertive" });
    this.status = element("p", "rs-help stats-status", { role: "status", "data-testid": "statistics-status" });
    this.tiles = element("div", "stats-tiles", { "data-testid": "statistics-tiles" });
    this.empty = element("p", "rs-alert stats-empty", { "data-testid": "statistics-empty", hidden: "" });

    this.cards = element("div", "stats-grid");
    this.dayCard = this._card("days", "stats-card--wide");
    this.agentCard = this._card("agents", "stats-card--wide");
    this.featureCard = this._card("features");
    this.reservationCard = this._card("reservations");
    this.hourCard = this._card("hours", "stats-card--wide", false);
    this.root.replaceChildren(head, form, this.errorBox, this.status, this.tiles, this.empty, this.cards);
    this.root.setAttribute("aria-labelledby", "statistics-title");
  }

  /** A card: its title, a chart (a canvas, unless `withChart` is false) and a table box. */
  _card(name, modifier = "", withChart = true) {
    const card = element("section", `rs-card stats-card ${modifier}`.trim(), {
      "data-testid": `statistics-card-${name}`,
      "aria-labelledby": `statistics-${name}-title`,
    });
    const key = `statistics.${name}_title`;
    card.append(element("h2", "admin-subtitle", { id: `statistics-${name}-title`, "data-i18n": key }, this.i18n.t(key)));
    const body = element("div", withChart ? "stats-card__body" : "stats-card__body stats-card__body--single");
    if (withChart) {
      const frame = element("div", `stats-chart stats-chart--${name}`);
      const canvas = element("canvas", "", { "data-testid": `statistics-chart-${name}`, role: "img" });
      frame.append(canvas);
      body.append(frame);
      card.canvas = canvas;
      card.frame = frame;
    }
    const tableBox = element("div", "stats-table", { tabindex: "0", "data-testid": `statistics-table-${name}` });
    body.append(tableBox);
    card.tableBox = tableBox;
    card.note = element("p", "rs-help stats-note");
    card.append(body, card.note);
    this.cards.append(card);
    return card;
  }

  _applyPreset() {
    const range = presetRange(this.preset.value, new Date());
    if (range) {
      this.from.value = range.from;
      this.to.value = range.to;
    }
  }

  async _loadAgents() {
    try {
      const { accounts } = await this.api("GET", "/api/admin/accounts");
      const chosen = this.agent.value;
      const options = accounts
        .filter((a) => a.role === "agent")
        .map((a) => element("option", "", { value: a.username }, a.name ? `${a.name} (${a.username})` : a.username));
      this.agent.replaceChildren(this.agent.options[0], ...options);
      this.agent.value = chosen;
    } catch {
      // The statistics work without the list: "All agents" stays the one choice.
    }
  }

  // ---------- counting ----------

  _filters() {
    return { from: this.from.value, to: this.to.value, agent: this.agent.value, tz: this.timeZone };
  }

  async show() {
    const query = statisticsQuery(this._filters());
    if (!query) {
      this.error.showKey("statistics.bad_dates");
      return;
    }
    this.error.clear();
    const ticket = ++this._loading;
    this.root.setAttribute("aria-busy", "true");
    this.i18n.bind(this.status, "statistics.loading");
    try {
      const { statistics } = await this.api("GET", `${BASE}?${query}`);
      if (ticket !== this._loading) {
        return; // a newer request was made meanwhile
      }
      this.stats = statistics;
      this._render();
    } catch (error) {
      if (ticket === this._loading) {
        this.i18n.bindOrClear(this.status, "");
        this.error.show(error);
      }
    } finally {
      if (ticket === this._loading) {
        this.root.removeAttribute("aria-busy");
      }
    }
  }

  async exportExcel() {
    const query = statisticsQuery(this._filters(), { lang: this.i18n.language ?? document.documentElement.lang ?? "en" });
    if (!query) {
      this.error.showKey("statistics.bad_dates");
      return;
    }
    this.exportButton.disabled = true;
    this.i18n.bind(this.status, "statistics.exporting");
    try {
      const blob = await this.api("GET", `${BASE}/export.xlsx?${query}`, { asBlob: true });
      const name = `statistics-${this.from.value}-${this.to.value}.xlsx`;
      const url = URL.createObjectURL(blob);
      const link = element("a", "", { href: url, download: name });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      this.i18n.bind(this.status, "statistics.exported", { name });
    } catch (error) {
      this.i18n.bindOrClear(this.status, "");
      this.error.show(error);
    } finally {
      this.exportButton.disabled = false;
    }
  }

  // ---------- drawing ----------

  /** A total or average as people read it ("1,547 h 5 min", "31 min 2 s"). */
  _duration(seconds) {
    return compactDuration(seconds, (key, params) => this.i18n.t(key, params), this.i18n.locale);
  }

  _render() {
    const stats = this.stats;
    if (!stats) {
      return;
    }
    const i18n = this.i18n;
    const sessions = new Intl.NumberFormat(i18n.locale).format(stats.sessions);
    this.status.textContent = `${i18n.t("statistics.time_zone", { zone: stats.tz })} ${i18n.t("statistics.computed", { sessions, ms: stats.computed_ms })}`;
    delete this.status.dataset.i18n;
    this._renderTiles(stats);
    this.empty.hidden = stats.sessions > 0;
    i18n.bind(this.empty, "statistics.empty");
    const series = chartSeries(stats);
    this._renderDays(stats, series.days);
    this._renderAgents(stats, series.agents);
    this._renderFeatures(stats, series.features);
    this._renderHours(stats);
    this._renderReservations(stats, series.reservations);
  }

  _renderTiles(stats) {
    const i18n = this.i18n;
    const number = new Intl.NumberFormat(i18n.locale);
    const tiles = [
      ["sessions", number.format(stats.sessions)],
      ["total", this._duration(stats.total_duration_s)],
      ["average", this._duration(stats.average_duration_s)],
      ["kept", stats.reservations ? number.format(stats.reservations.kept) : "–"],
    ];
    this.tiles.replaceChildren(
      ...tiles.map(([name, value]) => {
        const tile = element("div", "rs-card stats-tile", { "data-testid": `statistics-tile-${name}` });
        tile.append(element("span", "stats-tile__label", {}, i18n.t(`statistics.tile_${name}`)), element("strong", "stats-tile__value", {}, value));
        return tile;
      }),
    );
  }

  _renderDays(stats, { labels, series }) {
    const i18n = this.i18n;
    const short = new Intl.DateTimeFormat(i18n.locale, { month: "short", day: "numeric" });
    // The table's dates carry the year only when the period spans two years.
    const year = stats.from.slice(0, 4) === stats.to.slice(0, 4) ? {} : { year: "numeric" };
    const long = new Intl.DateTimeFormat(i18n.locale, { ...year, month: "short", day: "numeric", weekday: "short" });
    const asDate = (iso) => new Date(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10)));
    const colours = this._colours();
    this._chart(this.dayCard, "statistics.days_title", {
      type: "bar",
      data: {
        labels: labels.map((iso) => short.format(asDate(iso))),
        datasets: [
          { type: "bar", label: i18n.t("statistics.series_sessions"), data: series.sessions, backgroundColor: colours.primary, maxBarThickness: 40, yAxisID: "y", order: 2 },
          { type: "line", label: i18n.t("statistics.series_average_min"), data: series.average_min, borderColor: colours.accent, backgroundColor: colours.accent, pointRadius: labels.length > 60 ? 0 : 2, borderWidth: 2, yAxisID: "y1", order: 1, hidden: labels.length > LONG_PERIOD_DAYS },
        ],
      },
      options: {
        scales: {
          y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: i18n.t("statistics.series_sessions") } },
          y1: { display: "auto", beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: i18n.t("statistics.series_average_min") } },
          x: { ticks: { autoSkip: true, maxRotation: 0 } },
        },
      },
    });
    this._table(this.dayCard, "statistics.days_caption", ["col_date", "col_sessions", "col_total", "col_average"],
      stats.days.map((d) => [long.format(asDate(d.date)), d.sessions, this._duration(d.total_duration_s), this._duration(d.average_duration_s)]));
  }

  _renderAgents(stats, { labels, series }) {
    const i18n = this.i18n;
    this.agentCard.frame.classList.toggle("stats-chart--tall", labels.length > 6);
    this._chart(this.agentCard, "statistics.agents_title", {
      type: "bar",
      data: { labels, datasets: [{ label: i18n.t("statistics.series_sessions"), data: series.sessions, backgroundColor: this._colours().primary, maxBarThickness: 28 }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    this._table(this.agentCard, "statistics.agents_caption", ["col_agent", "col_sessions", "col_total", "col_average"],
      stats.agents.map((a) => [a.name || a.username, a.sessions, this._duration(a.total_duration_s), this._duration(a.average_duration_s)]));
    i18n.bindOrClear(this.agentCard.note, stats.agents.length > CHART_AGENTS ? "statistics.agents_more" : "", { count: CHART_AGENTS });
  }

  _renderFeatures(stats, { series }) {
    const i18n = this.i18n;
    const names = FEATURES.map((name) => i18n.t(`statistics.feature_${name}`));
    this._chart(this.featureCard, "statistics.features_title", {
      type: "bar",
      data: { labels: names, datasets: [{ label: i18n.t("statistics.series_share"), data: series.share, backgroundColor: this._colours().primary, maxBarThickness: 28 }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, max: 100, ticks: { callback: (value) => `${value}%` } } } },
    });
    const share = new Intl.NumberFormat(i18n.locale, { style: "percent", maximumFractionDigits: 1 });
    this._table(this.featureCard, "statistics.features_caption", ["col_feature", "col_sessions", "col_share"],
      FEATURES.map((name, i) => [names[i], stats.features[name].sessions, share.format(stats.features[name].share)]));
  }

  _renderReservations(stats, reservations) {
    const i18n = this.i18n;
    const card = this.reservationCard;
    card.frame.hidden = !reservations;
    card.tableBox.hidden = !reservations;
    i18n.bindOrClear(card.note, reservations ? "" : "statistics.no_reservations");
    card.note.dataset.testid = "statistics-no-reservations";
    if (!reservations) {
      this.charts.get(card)?.destroy();
      this.charts.delete(card);
      return;
    }
    const colours = this._colours();
    const names = RESERVATION_OUTCOMES.map((name) => i18n.t(`statistics.status_${name}`));
    this._chart(card, "statistics.reservations_title", {
      type: "doughnut",
      data: { labels: names, datasets: [{ data: reservations.series.count, backgroundColor: [colours.success, colours.danger, colours.warning, colours.muted] }] },
      options: { plugins: { legend: { position: "right" } } },
    });
    this._table(card, "statistics.reservations_caption", ["col_status", "col_count"], names.map((name, i) => [name, reservations.series.count[i]]));
  }

  _renderHours(stats) {
    const i18n = this.i18n;
    const busiest = busiestHour(stats.hours);
    const table = element("table", "stats-heat", { "data-testid": "statistics-heatmap" });
    table.append(element("caption", "", {}, i18n.t("statistics.hours_caption")));
    const head = element("tr");
    head.append(element("th", "", { scope: "col" }, i18n.t("statistics.col_day")));
    for (let hour = 0; hour < 24; hour += 1) {
      head.append(element("th", "", { scope: "col" }, String(hour).padStart(2, "0")));
    }
    const body = element("tbody");
    stats.hours.forEach((counts, weekday) => {
      const row = element("tr");
      const day = i18n.t(`statistics.weekday_${weekday}`);
      row.append(element("th", "", { scope: "row" }, day));
      counts.forEach((count, hour) => {
        row.append(element("td", `stats-heat__cell stats-heat__cell--${heatLevel(count, busiest)}`,
          { title: i18n.t("statistics.heat_cell", { day, hour, count }) }, count ? String(count) : ""));
      });
      body.append(row);
    });
    const thead = element("thead");
    thead.append(head);
    table.append(thead, body);
    this.hourCard.tableBox.replaceChildren(table);
    this.hourCard.tableBox.setAttribute("aria-label", i18n.t("statistics.hours_title"));
    i18n.bind(this.hourCard.note, "statistics.hours_help");
  }

  /** Draw (again) one card's chart; the canvas is named for screen readers by its title. */
  _chart(card, titleKey, config) {
    this.charts.get(card)?.destroy();
    const colours = this._colours();
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = colours.text;
    Chart.defaults.borderColor = colours.grid;
    card.canvas.setAttribute("aria-label", this.i18n.t(titleKey));
    const options = { animation: false, responsive: true, maintainAspectRatio: false, ...config.options };
    this.charts.set(card, new Chart(card.canvas, { ...config, options }));
  }

  /** A table of the chart's numbers in the card's scrolling box. */
  _table(card, captionKey, columns, rows) {
    const table = element("table", "stats-numbers");
    table.append(element("caption", "rs-visually-hidden", {}, this.i18n.t(captionKey)));
    // Counts line up at the right, under a right-aligned header.
    const numeric = columns.map((_, i) => rows.length > 0 && typeof rows[0][i] === "number");
    const head = element("tr");
    columns.forEach((column, i) => {
      head.append(element("th", numeric[i] ? "stats-numbers__number" : "", { scope: "col" }, this.i18n.t(`statistics.${column}`)));
    });
    const thead = element("thead");
    thead.append(head);
    const body = element("tbody");
    const number = new Intl.NumberFormat(this.i18n.locale);
    for (const cells of rows) {
      const row = element("tr");
      cells.forEach((value, i) => {
        const text = typeof value === "number" ? number.format(value) : String(value);
        row.append(element(i === 0 ? "th" : "td", typeof value === "number" ? "stats-numbers__number" : "", i === 0 ? { scope: "row" } : {}, text));
      });
      body.append(row);
    }
    table.append(thead, body);
    card.tableBox.replaceChildren(table);
    card.tableBox.setAttribute("aria-label", this.i18n.t("statistics.table_scroll", { title: this.i18n.t(captionKey) }));
  }

  /** The design tokens' colours (light or dark), read when drawing. */
  _colours() {
    const style = getComputedStyle(document.documentElement);
    const token = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    return {
      primary: token("--rs-color-primary", "#2f54eb"),
      accent: token("--rs-color-warning", "#8a5300"),
      success: token("--rs-color-success", "#1d7a46"),
      danger: token("--rs-color-danger", "#c62828"),
      warning: token("--rs-color-warning", "#8a5300"),
      muted: token("--rs-color-border-strong", "#9aa3b5"),
      text: token("--rs-color-text-muted", "#5b6478"),
      grid: token("--rs-color-border", "#d6dae4"),
    };
  }
}
