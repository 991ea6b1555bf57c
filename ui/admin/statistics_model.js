// Pure helpers of the usage statistics (AD3): the period presets, the relay's query string, and
// the relay's `statistics` object (docs/protocol.md, *Usage statistics*) turned into chart
// series and table rows. No DOM and no Chart.js here.

export const PRESET_DAYS = Object.freeze({ 7: 7, 30: 30, 90: 90, 365: 365 });
export const FEATURES = Object.freeze(["presented", "controlled", "files", "called"]);
export const RESERVATION_OUTCOMES = Object.freeze(["kept", "cancelled", "missed", "upcoming"]);
export const CHART_AGENTS = 12; // more agents than this: the chart shows the busiest, the table all
export const HEAT_LEVELS = 6; // heat map cells: level 0 (none) to 5 (the busiest hour)

/** "YYYY-MM-DD" of a local Date. */
export function isoDay(day) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

/**
 * The dates of a preset period ending today (both included).
 * @param {string|number} preset "7", "30", "90" or "365"
 * @param {Date} today
 * @returns {{from: string, to: string}|null} null for "custom"
 */
export function presetRange(preset, today) {
  const days = PRESET_DAYS[preset];
  if (!days) {
    return null;
  }
  // "Last 12 months" is the day after this date a year ago: 366 days when they hold a 29 February.
  const first =
    days === 365
      ? new Date(today.getFullYear() - 1, today.getMonth(), today.getDate() + 1)
      : new Date(today.getFullYear(), today.getMonth(), today.getDate() - (days - 1));
  return { from: isoDay(first), to: isoDay(today) };
}

/**
 * The query string of GET /api/admin/statistics, or null when the dates are not a period.
 * @param {{from: string, to: string, agent?: string, tz?: string}} filters
 * @param {object} [extra] more parameters (lang)
 */
export function statisticsQuery(filters, extra = {}) {
  const day = /^\d{4}-\d{2}-\d{2}$/;
  if (!day.test(filters.from ?? "") || !day.test(filters.to ?? "") || filters.to < filters.from) {
    return null;
  }
  const params = new URLSearchParams({ from: filters.from, to: filters.to, tz: filters.tz || "UTC" });
  if ((filters.agent ?? "").trim()) {
    params.set("agent", filters.agent.trim());
  }
  for (const [name, value] of Object.entries(extra)) {
    params.set(name, String(value));
  }
  return params.toString();
}

/**
 * A duration as people read a total: hours and minutes from an hour on, minutes and seconds
 * below ("1,547 h 5 min", "31 min", "4 min 2 s"); "–" for none.
 * @param {number} seconds
 * @param {(key: string, params: object) => string} t the i18n lookup
 * @param {string} locale for the thousands separator
 */
export function compactDuration(seconds, t, locale) {
  const whole = Math.round(seconds);
  if (!whole) {
    return "–";
  }
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  if (h > 0) {
    return t("statistics.duration_hm", { h: new Intl.NumberFormat(locale).format(h), m });
  }
  if (m >= 10) {
    return t("statistics.duration_m", { m }); // seconds matter below ten minutes only
  }
  return m > 0 ? t("statistics.duration_ms", { m, s: whole % 60 }) : t("statistics.duration_s", { s: whole });
}

/** Periods longer than this draw the daily average as a line only on demand (legend). */
export const LONG_PERIOD_DAYS = 92;

/** Minutes with one decimal, for chart series of durations. */
export function minutes(seconds) {
  return Math.round((seconds / 60) * 10) / 10;
}

/** A whole-number percentage with one decimal from a share (0.1234 → 12.3). */
export function percent(share) {
  return Math.round(share * 1000) / 10;
}

/**
 * The series of each chart.
 * @param {object} stats the relay's `statistics`
 * @returns {{days: object, agents: object, features: object, reservations: object|null}}
 *   each `{labels, series: {name: number[]}}`; labels of features and outcomes are keys
 */
export function chartSeries(stats) {
  const busiest = stats.agents.slice(0, CHART_AGENTS);
  return {
    days: {
      labels: stats.days.map((d) => d.date),
      series: {
        sessions: stats.days.map((d) => d.sessions),
        // A day without sessions has no average: a gap in the line, not a fall to zero.
        average_min: stats.days.map((d) => (d.sessions ? minutes(d.average_duration_s) : null)),
      },
    },
    agents: {
      labels: busiest.map((a) => a.name || a.username),
      series: { sessions: busiest.map((a) => a.sessions) },
    },
    features: {
      labels: [...FEATURES],
      series: { share: FEATURES.map((name) => percent(stats.features[name]?.share ?? 0)) },
    },
    reservations: stats.reservations
      ? {
          labels: [...RESERVATION_OUTCOMES],
          series: { count: RESERVATION_OUTCOMES.map((name) => stats.reservations[name] ?? 0) },
        }
      : null,
  };
}

/**
 * The heat map's level of one cell: 0 for none, else 1..HEAT_LEVELS-1 by its share of the
 * busiest cell (so the busiest hour is always the darkest).
 */
export function heatLevel(count, busiest) {
  if (!count || !busiest) {
    return 0;
  }
  return Math.max(1, Math.ceil((count / busiest) * (HEAT_LEVELS - 1)));
}

/** The busiest cell of the 7×24 hours. */
export function busiestHour(hours) {
  return Math.max(0, ...hours.flat());
}

/** The browser's IANA time zone ("Asia/Seoul"), or "UTC" when it has none. */
export function browserTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}
