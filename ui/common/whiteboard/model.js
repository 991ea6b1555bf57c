// The shared whiteboard's model (CH3): elements, their bounds and the reconcile rule.
// The same rule as suite/whiteboard/model.py (docs/architecture.md, "Whiteboard"); the
// shared table tests/data/whiteboard_reconcile_cases.json runs against both.
// Pure: no DOM.

export const KINDS = Object.freeze(["pen", "line", "rectangle", "ellipse", "text", "image"]);
export const MAX_ELEMENTS = 5000;
export const MAX_STORED_ELEMENTS = 20000;
export const MAX_POINTS = 5000;
export const MAX_TEXT_CHARS = 2000;
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
export const MAX_ELEMENT_ID_CHARS = 64;
export const MAX_ELEMENTS_PER_UPDATE = 500;
export const MAX_BOARD_COORDINATE = 100000;
export const MAX_SIZE = 2 * MAX_BOARD_COORDINATE;
export const MAX_NONCE = 2 ** 31 - 1;
export const MAX_VERSION = Number.MAX_SAFE_INTEGER;
export const MAX_Z = Number.MAX_SAFE_INTEGER;
export const MIN_WIDTH = 1;
export const MAX_WIDTH = 64;
export const MIN_TEXT_SIZE = 8;
export const MAX_TEXT_SIZE = 200;
const COLOUR_RE = /^#[0-9a-f]{6}$/;
const ID_RE = /^[A-Za-z0-9_-]+$/;
const IMAGE_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export class WhiteboardError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "WhiteboardError";
    this.code = code;
  }
}

const bad = (message) => new WhiteboardError("bad_message", message);

function int(body, name, low, high) {
  const value = body[name];
  if (!Number.isInteger(value)) throw bad(`element '${name}' must be an integer`);
  if (value < low || value > high) throw bad(`element '${name}' must be ${low}-${high}`);
  return value;
}

function coordinate(value) {
  if (!Number.isInteger(value)) throw bad("element coordinates must be integers");
  if (Math.abs(value) > MAX_BOARD_COORDINATE) {
    throw bad(`element coordinates must be within ±${MAX_BOARD_COORDINATE}`);
  }
  return value;
}

/** A well-formed element from `body` (unknown fields dropped); throws WhiteboardError. */
export function checkElement(body) {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw bad("an element must be an object");
  }
  const id = body.id;
  if (typeof id !== "string" || id.length === 0 || id.length > MAX_ELEMENT_ID_CHARS || !ID_RE.test(id)) {
    throw bad(`element 'id' must be 1-${MAX_ELEMENT_ID_CHARS} of A-Z a-z 0-9 _ -`);
  }
  const kind = body.kind;
  if (!KINDS.includes(kind)) throw bad(`element 'kind' must be one of ${KINDS.join(", ")}`);
  const deleted = body.deleted ?? false;
  if (typeof deleted !== "boolean") throw bad("element 'deleted' must be true or false");
  const color = body.color;
  if (typeof color !== "string" || !COLOUR_RE.test(color)) {
    throw bad("element 'color' must be #rrggbb (lower case)");
  }
  const element = {
    id,
    kind,
    version: int(body, "version", 1, MAX_VERSION),
    nonce: int(body, "nonce", 0, MAX_NONCE),
    deleted,
    z: int(body, "z", 0, MAX_Z),
    color,
    width: int(body, "width", MIN_WIDTH, MAX_WIDTH),
  };
  if (kind === "pen" || kind === "line") {
    const points = body.points;
    if (!Array.isArray(points) || points.length === 0) {
      throw bad("element 'points' must be a non-empty list");
    }
    if (kind === "line" && points.length !== 2) throw bad("a line has two points");
    if (points.length > MAX_POINTS) {
      throw new WhiteboardError("element_too_large", `a stroke has at most ${MAX_POINTS} points`);
    }
    element.points = points.map((point) => {
      if (!Array.isArray(point) || point.length !== 2) throw bad("each point must be [x, y]");
      return [coordinate(point[0]), coordinate(point[1])];
    });
  } else {
    element.x = coordinate(body.x);
    element.y = coordinate(body.y);
    element.w = int(body, "w", 0, MAX_SIZE);
    element.h = int(body, "h", 0, MAX_SIZE);
  }
  if (kind === "text") {
    if (typeof body.text !== "string") throw bad("a text element needs 'text'");
    if (body.text.length > MAX_TEXT_CHARS) {
      throw new WhiteboardError(
        "element_too_large",
        `a text has at most ${MAX_TEXT_CHARS} characters`,
      );
    }
    element.text = body.text;
    element.size = int(body, "size", MIN_TEXT_SIZE, MAX_TEXT_SIZE);
  }
  if (kind === "image") {
    if (typeof body.image !== "string" || !IMAGE_ID_RE.test(body.image)) {
      throw bad("an image element needs the 'image' file id");
    }
    element.image = body.image;
  }
  return element;
}

/** Whether `remote` replaces `local`: the higher version, at the same version the lower nonce. */
export function wins(remote, local) {
  if (remote.version !== local.version) return remote.version > local.version;
  return remote.nonce < local.nonce;
}

/**
 * Merge `remote` copies into the board `local` (a Map id -> element, left untouched).
 * Returns {board, changed}: the merged Map and the remote copies that won.
 */
export function reconcile(local, remote) {
  const board = new Map(local);
  const changed = [];
  for (const element of remote) {
    const current = board.get(element.id);
    if (current === undefined || wins(element, current)) {
      board.set(element.id, element);
      changed.push(element);
    }
  }
  return { board, changed };
}

/** The elements to draw in drawing order (z, then id); tombstones left out. */
export function live(board) {
  return [...board.values()]
    .filter((e) => !e.deleted)
    .sort((a, b) => a.z - b.z || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Throws WhiteboardError("whiteboard_full") when `incoming` would overfill `board`. */
export function checkRoom(board, incoming) {
  let added = 0;
  let newIds = 0;
  for (const element of incoming) {
    const current = board.get(element.id);
    if (current === undefined) newIds += 1;
    const wasLive = current !== undefined && !current.deleted;
    added += (element.deleted ? 0 : 1) - (wasLive ? 1 : 0);
  }
  let liveCount = 0;
  for (const e of board.values()) if (!e.deleted) liveCount += 1;
  if (liveCount + added > MAX_ELEMENTS) {
    throw new WhiteboardError(
      "whiteboard_full",
      `a board holds at most ${MAX_ELEMENTS} elements; start a new board`,
    );
  }
  if (board.size + newIds > MAX_STORED_ELEMENTS) {
    throw new WhiteboardError(
      "whiteboard_full",
      `a board keeps at most ${MAX_STORED_ELEMENTS} elements with erased ones; start a new board`,
    );
  }
}

/** [left, top, right, bottom] of what the element covers, its line width included. */
export function bounds(element) {
  const pad = Math.floor((element.width + 1) / 2);
  if (element.points) {
    let left = Infinity;
    let top = Infinity;
    let right = -Infinity;
    let bottom = -Infinity;
    for (const [x, y] of element.points) {
      left = Math.min(left, x);
      top = Math.min(top, y);
      right = Math.max(right, x);
      bottom = Math.max(bottom, y);
    }
    return [left - pad, top - pad, right + pad, bottom + pad];
  }
  return [
    element.x - pad,
    element.y - pad,
    element.x + element.w + pad,
    element.y + element.h + pad,
  ];
}

/** A new random tie-break nonce. */
export function newNonce() {
  const values = new Uint32Array(1);
  crypto.getRandomValues(values);
  return values[0] % (MAX_NONCE + 1);
}

/** A new element id (random, URL-safe). */
export function newId() {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
}

/** The next copy of `element` with `changes`: version + 1 and a fresh nonce. */
export function edited(element, changes, nonce = newNonce()) {
  return { ...element, ...changes, version: element.version + 1, nonce };
}
