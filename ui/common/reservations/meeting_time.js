// Times of a reservation (A11) as people read them: a countdown and a meeting's time in the
// reader's own time zone (Intl). Pure: no DOM; the time is passed in.

const UNITS = [
  ["d", 86400],
  ["h", 3600],
  ["m", 60],
  ["s", 1],
];

/**
 * The two largest non-zero units of a duration: 3725 s → [{unit: "h", n: 1}, {unit: "m", n: 2}].
 * Under a minute only seconds; never empty for a positive duration.
 * @param {number} seconds
 * @returns {{unit: string, n: number}[]}
 */
export function countdownParts(seconds) {
  let left = Math.max(0, Math.ceil(seconds));
  const parts = [];
  for (const [unit, size] of UNITS) {
    const n = Math.floor(left / size);
    left -= n * size;
    if (n > 0 || parts.length > 0) {
      parts.push({ unit, n });
    }
  }
  const shown = parts.slice(0, 2).filter((part) => part.n > 0);
  return shown.length > 0 || seconds <= 0 ? shown : [{ unit: "s", n: 1 }];
}

/**
 * The countdown's text in the page's language: "1 h 2 min", "2시간 5분".
 * @param {number} seconds
 * @param {(key: string, params: object) => string} t i18n.t
 */
export function formatCountdown(seconds, t) {
  return countdownParts(seconds)
    .map((part) => t(`meet.unit_${part.unit}`, { n: part.n }))
    .join(" ");
}

/** The reader's own IANA zone (or "UTC" when the engine will not say). */
export function readerTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

/**
 * "Monday, March 15, 2027, 10:00 – 10:30 AM" in `timeZone` (default: the reader's).
 * @param {string} startIso
 * @param {string} endIso
 * @param {string} locale "en", "ko-KR"
 * @param {string} [timeZone]
 */
export function formatMeetingTime(startIso, endIso, locale, timeZone = readerTimeZone()) {
  const format = new Intl.DateTimeFormat(locale, {
    dateStyle: "full",
    timeStyle: "short",
    timeZone,
  });
  const start = new Date(startIso);
  const end = new Date(endIso);
  if (typeof format.formatRange === "function") {
    return format.formatRange(start, end);
  }
  return `${format.format(start)} – ${format.format(end)}`;
}

/**
 * The meeting's day and its hours apart, for two lines that never break inside either
 * ("Monday, March 15, 2027" / "10:00 – 10:30 AM"; "2027년 3월 15일 월요일" / "오전 10:00~10:30"),
 * or null when it spans two days in `timeZone` (formatMeetingTime() says that in one).
 * @param {string} startIso
 * @param {string} endIso
 * @param {string} locale
 * @param {string} [timeZone]
 * @returns {{day: string, hours: string}|null}
 */
export function formatMeetingDayAndHours(startIso, endIso, locale, timeZone = readerTimeZone()) {
  const day = new Intl.DateTimeFormat(locale, { dateStyle: "full", timeZone });
  const start = new Date(startIso);
  const end = new Date(endIso);
  if (day.format(start) !== day.format(end)) {
    return null;
  }
  const hours = new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone });
  const range =
    typeof hours.formatRange === "function"
      ? hours.formatRange(start, end)
      : `${hours.format(start)} – ${hours.format(end)}`;
  return { day: day.format(start), hours: range };
}

/**
 * A short date and time for a list row: "Mon, Mar 15, 10:00 AM".
 * @param {string} iso
 * @param {string} locale
 * @param {string} [timeZone]
 */
export function formatShortTime(iso, locale, timeZone = readerTimeZone()) {
  return new Intl.DateTimeFormat(locale, {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "numeric",
    minute: "2-digit",
    timeZone,
  }).format(new Date(iso));
}

/**
 * The wall-clock time `minutes` from `nowMs` in `timeZone`, as a datetime-local value
 * ("2027-03-15T10:00"), rounded up to the next quarter hour.
 */
export function wallClockValue(nowMs, minutes, timeZone) {
  const quarter = 15 * 60 * 1000;
  const at = Math.ceil((nowMs + minutes * 60000) / quarter) * quarter;
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
      timeZone,
    })
      .formatToParts(new Date(at))
      .map((part) => [part.type, part.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}
