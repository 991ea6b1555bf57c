// Small helpers of the Options, Audit log and Online sections (AD4, AD5): sizes as people type
// them ("500M", "2G"), and column names on table cells for the phone layout.

const UNITS = [
  ["T", 1024 ** 4],
  ["G", 1024 ** 3],
  ["M", 1024 ** 2],
  ["K", 1024],
];

/** 2147483648 → "2G"; a size that is no whole number of a unit stays in bytes. */
export function formatSize(bytes) {
  if (typeof bytes !== "number" || !Number.isFinite(bytes)) {
    return "";
  }
  for (const [unit, factor] of UNITS) {
    if (bytes >= factor && bytes % factor === 0) {
      return `${bytes / factor}${unit}`;
    }
  }
  return String(bytes);
}

/** "500M", "2 g", "1048576" → bytes; null for anything else (the relay then explains). */
export function parseSizeText(text) {
  const match = /^\s*(\d+)\s*([kKmMgGtT]?)(?:i?[bB])?\s*$/.exec(text);
  if (!match) {
    return null;
  }
  const factor = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[match[2].toLowerCase()];
  return Number(match[1]) * factor;
}

/** Give each cell of `row` its column's name (the phone layout shows it before the value). */
export function labelCells(row, table) {
  const names = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
  [...row.children].forEach((cell, index) => cell.setAttribute("data-label", names[index] ?? ""));
  return row;
}
