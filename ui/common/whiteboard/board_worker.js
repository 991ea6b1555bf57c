// The body of a whiteboard drawing worker (a module worker started by board_workers.js): it
// draws one horizontal band of a new layer off the page's thread, with the page's renderer.
// It keeps the elements and pictures it was sent (the page sends only what changed since), and
// draws on an OffscreenCanvas as large as the page's canvas, the elements that touch its band,
// with the very transform of a full redraw: the band's pixels are then a full redraw's, byte for byte (a
// band-sized canvas would move every point by the band's offset, and the antialiasing with
// it). The band goes back as an ImageBitmap (transferred, not copied).

import { drawElements } from "./renderer.js";

const elements = new Map(); // id -> element, as last sent
const pictures = new Map(); // image id -> ImageBitmap
let canvas = null;

/** Can this engine draw a 2D context on an OffscreenCanvas in a worker? */
function probe() {
  try {
    const test = new OffscreenCanvas(1, 1);
    return Boolean(test.getContext("2d")) && typeof test.transferToImageBitmap === "function";
  } catch {
    return false;
  }
}

function draw(data) {
  const started = performance.now();
  for (const element of data.upserts) elements.set(element.id, element);
  for (const [id, bitmap] of data.pictures) pictures.set(id, bitmap);
  const list = data.ids.map((id) => elements.get(id));
  if (elements.size > list.length + 256) {
    const live = new Set(data.ids);
    for (const id of elements.keys()) if (!live.has(id)) elements.delete(id);
  }
  const { width, height, transform, visible } = data;
  const [y0, y1] = data.rows;
  if (!canvas || canvas.width !== width || canvas.height !== height) canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, y0, width, y1 - y0);
  // No clip: an element across the band's edge is drawn whole, as a full redraw draws it
  // (a clip changes how Skia rasterises it); the rows past the band are not used.
  ctx.setTransform(...transform);
  drawElements(ctx, list, pictures, visible);
  const bitmap = canvas.transferToImageBitmap(); // the canvas starts blank for the next one
  postMessage({ seq: data.seq, bitmap, rows: data.rows, ms: performance.now() - started }, [bitmap]);
}

onmessage = ({ data }) => {
  if (data.probe) postMessage({ probe: true, ok: probe() });
  else draw(data);
};
