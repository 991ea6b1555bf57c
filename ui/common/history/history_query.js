// Pure helpers of the history view (A10, AD2): the filter form's values as the relay's query
// string (docs/protocol.md, *History*), and small formatting. No DOM here.

/** Duration filter choices: [min_duration_s, max_duration_s] (null: no bound). */
export const DURATION_CHOICES = Object.freeze({
  any: [null, null],
  short: [null, 300],
  medium: [300, 1800],
  long: [1800, null],
});

/**
 * Epoch seconds of local midnight starting `isoDate` ("2026-12-04"), plus `days`.
 * @param {string} isoDate
 * @param {number} [days]
 * @returns {number|null} null for an empty or malformed date
 */
export function localDayStart(isoDate, days = 0) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate ?? "");
  if (!match) {
    return null;
  }
  const day = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + days);
  return Math.floor(day.getTime() / 1000);
}

/**
 * The query string for the relay from the form's values.
 * @param {object} filters {from, to (dates, inclusive), customer, q, presented, files, duration, agent}
 * @param {object} [extra] more parameters (page, per_page, tz_offset_min, lang)
 * @returns {string} without the leading "?"
 */
export function historyQuery(filters, extra = {}) {
  const params = new URLSearchParams();
  const from = localDayStart(filters.from);
  const to = localDayStart(filters.to, 1); // the "to" day is included
  if (from !== null) params.set("from", String(from));
  if (to !== null) params.set("to", String(to));
  for (const name of ["customer", "q", "agent"]) {
    const value = (filters[name] ?? "").trim();
    if (value) params.set(name, value);
  }
  for (const name of ["presented", "files"]) {
    if (filters[name] === "yes" || filters[name] === "no") params.set(name, filters[name]);
  }
  const [low, high] = DURATION_CHOICES[filters.duration] ?? DURATION_CHOICES.any;
  if (low !== null) params.set("min_duration_s", String(low));
  if (high !== null) params.set("max_duration_s", String(high));
  for (const [name, value] of Object.entries(extra)) {
    params.set(name, String(value));
  }
  return params.toString();
}

/** "1.5 MB"-style sizes for the file list. */
export function formatBytes(size) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = Number(size) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** How many pages `total` rows make at `perPage` (at least 1). */
export function pageCount(total, perPage) {
  return Math.max(1, Math.ceil(total / perPage));
}
