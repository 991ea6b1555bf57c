// Which parts of a captured screen to send: the JavaScript port of suite/screen/tiles.py
// (changed_tiles), regions.py (tile_runs, plan_update, changed_bounds) and encoders.py
// (has_few_colors), pure functions on Uint32Array pixels (one RGBA pixel per element, rows of
// `width`). ui/agent/browser_presenter.js uses them; tests/e2e/test_browser_presenting.py checks
// that planUpdate() gives Python's rectangles for the same grids.

export const TILE_PX = 64;
export const KEY_FRAME_RATIO = 0.5;
export const MAX_RECTS = 16;
export const FEW_COLORS = 256;
const COLOR_SAMPLE_PX = 16384;

/**
 * The tile grid's dirty flags: 1 where any pixel of the tile differs.
 * @param {Uint32Array|null} previous the last capture (null: everything changed)
 * @param {Uint32Array} current
 * @returns {{rows: number, cols: number, dirty: Uint8Array}} row-major flags
 */
export function changedTiles(previous, current, width, height, tilePx = TILE_PX) {
  const rows = Math.ceil(height / tilePx);
  const cols = Math.ceil(width / tilePx);
  const dirty = new Uint8Array(rows * cols);
  if (previous === null) {
    dirty.fill(1);
    return { rows, cols, dirty };
  }
  for (let y = 0; y < height; y += 1) {
    const rowBase = Math.floor(y / tilePx) * cols;
    const offset = y * width;
    for (let col = 0; col < cols; col += 1) {
      if (dirty[rowBase + col]) {
        continue; // this tile already differs: skip its pixels on every later row
      }
      const end = offset + Math.min(width, (col + 1) * tilePx);
      for (let i = offset + col * tilePx; i < end; i += 1) {
        if (previous[i] !== current[i]) {
          dirty[rowBase + col] = 1;
          break;
        }
      }
    }
  }
  return { rows, cols, dirty };
}

/** Dirty tiles as rectangles in tile units: row runs, stacked when consecutive rows match. */
export function tileRuns({ rows, cols, dirty }) {
  let open = new Map(); // "start,end" → rect
  const done = [];
  for (let row = 0; row < rows; row += 1) {
    const runs = [];
    for (let col = 0; col < cols; ) {
      if (!dirty[row * cols + col]) {
        col += 1;
        continue;
      }
      const start = col;
      while (col < cols && dirty[row * cols + col]) col += 1;
      runs.push(`${start},${col}`);
    }
    const next = new Map();
    for (const [run, rect] of open) {
      if (runs.includes(run)) next.set(run, { ...rect, h: rect.h + 1 });
      else done.push(rect);
    }
    for (const run of runs) {
      if (!next.has(run)) {
        const [start, end] = run.split(",").map(Number);
        next.set(run, { x: start, y: row, w: end - start, h: 1 });
      }
    }
    open = next;
  }
  done.push(...open.values());
  return done.sort((a, b) => a.y - b.y || a.x - b.x);
}

const area = (r) => r.w * r.h;

function union(a, b) {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

function fewer(rects, limit) {
  let list = [...rects];
  while (list.length > limit) {
    let best = null;
    for (let i = 0; i < list.length; i += 1) {
      for (let j = i + 1; j < list.length; j += 1) {
        const waste = area(union(list[i], list[j])) - area(list[i]) - area(list[j]);
        if (best === null || waste < best[0]) best = [waste, i, j];
      }
    }
    const [, i, j] = best;
    const joined = union(list[i], list[j]);
    list = list.filter((_, k) => k !== i && k !== j).concat([joined]);
  }
  return list.sort((a, b) => a.y - b.y || a.x - b.x);
}

/**
 * The rectangles to encode for a dirty grid, clipped to the screen (Python's plan_update).
 * @returns {{rects: Array<{x, y, w, h}>, key: boolean}}
 */
export function planUpdate(grid, tilePx, screenW, screenH, keyFrameRatio = KEY_FRAME_RATIO, maxRects = MAX_RECTS) {
  const screen = { x: 0, y: 0, w: screenW, h: screenH };
  let dirtyCount = 0;
  for (const flag of grid.dirty) dirtyCount += flag;
  if (dirtyCount === 0) return { rects: [], key: false };
  if (dirtyCount >= grid.dirty.length * keyFrameRatio) return { rects: [screen], key: true };
  const pixelRects = [];
  for (const run of tileRuns(grid)) {
    const x = run.x * tilePx;
    const y = run.y * tilePx;
    const right = Math.min(screenW, x + run.w * tilePx);
    const bottom = Math.min(screenH, y + run.h * tilePx);
    if (right > x && bottom > y) pixelRects.push({ x, y, w: right - x, h: bottom - y });
  }
  const rects = fewer(pixelRects, maxRects);
  if (rects.reduce((sum, r) => sum + area(r), 0) >= area(screen) * keyFrameRatio) {
    return { rects: [screen], key: true };
  }
  return { rects, key: false };
}

/** The smallest rectangle inside `rect` holding every pixel that differs (or `rect` itself). */
export function changedBounds(previous, current, width, rect) {
  let top = -1;
  let bottom = -1;
  let left = rect.x + rect.w;
  let right = rect.x - 1;
  for (let y = rect.y; y < rect.y + rect.h; y += 1) {
    const offset = y * width;
    let first = -1;
    let last = -1;
    for (let x = rect.x; x < rect.x + rect.w; x += 1) {
      if (previous[offset + x] !== current[offset + x]) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) {
      if (top < 0) top = y;
      bottom = y;
      left = Math.min(left, first);
      right = Math.max(right, last);
    }
  }
  if (top < 0) return rect;
  return { x: left, y: top, w: right - left + 1, h: bottom - top + 1 };
}

/** True if a grid sample of the region holds at most `limit` colours (text, flat UI: PNG). */
export function hasFewColors(pixels, width, rect, limit = FEW_COLORS) {
  for (const samples of [COLOR_SAMPLE_PX / 16, COLOR_SAMPLE_PX]) {
    const step = Math.max(1, Math.floor(Math.sqrt((rect.w * rect.h) / samples)));
    const seen = new Set();
    for (let y = rect.y; y < rect.y + rect.h; y += step) {
      const offset = y * width;
      for (let x = rect.x; x < rect.x + rect.w; x += step) {
        seen.add(pixels[offset + x]);
        if (seen.size > limit) return false;
      }
    }
  }
  return true;
}
