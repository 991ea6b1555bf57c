// The ways of drawing the whole board that scripts/bench_whiteboard.py --levers compares (run in
// the agent's page with the board filled): the renderer's own (`base`) and candidates, each
// drawing the same elements at the page's view in one animation frame, plus the same drawing
// in one or two workers. Returns each one's pixels against `base` and the wall clock of each
// frame; the script reads the page thread's time from a trace (console.timeStamp labels).
// Not product code: what is worth keeping goes into ui/common/whiteboard/renderer.js.
async ({ variants, rounds }) => {
  const R = await import('/ui/common/whiteboard/renderer.js');
  const canvas = document.querySelector('[data-testid=wb-canvas]');
  const view = canvas.wbView;
  const ratio = window.devicePixelRatio || 1;
  const scale = ratio * view.view.zoom;
  const tx = Math.round(-view.view.x * scale);
  const ty = Math.round(-view.view.y * scale);
  const { width, height } = canvas;
  const vis = [(-3 - tx) / scale, (-3 - ty) / scale, (width + 3 - tx) / scale, (height + 3 - ty) / scale];
  const shown = view.board.live();
  const inView = (e) => { const [l, t, r, b] = R.inkBounds(e); return !(r < vis[0] || b < vis[1] || l > vis[2] || t > vis[3]); };
  const bitmaps = new Map();
  let bitmapBytes = 0;
  let bitmapBuildMs = 0;
  const polyline = (path, pts) => { path.moveTo(pts[0][0], pts[0][1]); for (let i = 1; i < pts.length; i += 1) path.lineTo(pts[i][0], pts[i][1]); };
  const klass = (e) => (e.kind === 'pen' || e.kind === 'line') && e.points.length > 1 ? 'round' : e.kind === 'ellipse' ? 'ellipse' : null;
  const addTo = (path, e) => {
    if (e.kind === 'ellipse') { path.moveTo(e.x + e.w, e.y + e.h / 2); path.ellipse(e.x + e.w / 2, e.y + e.h / 2, e.w / 2, e.h / 2, 0, 0, Math.PI * 2); }
    else polyline(path, e.points);
  };
  const calls = {};
  let counting = null;
  const strokeBatch = (ctx, batch) => {
    if (counting) calls[counting] = (calls[counting] ?? 0) + 1;
    const path = new Path2D();
    for (const e of batch.items) addTo(path, e);
    ctx.strokeStyle = batch.items[0].color; ctx.lineWidth = batch.items[0].width;
    ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.stroke(path);
  };
  const overlaps = (a, b) => !(a[2] < b[0] || b[2] < a[0] || a[3] < b[1] || b[3] < a[1]);
  const rdp = (pts, tol) => {
    if (pts.length < 3) return pts;
    const keep = new Uint8Array(pts.length); keep[0] = 1; keep[pts.length - 1] = 1;
    const stack = [[0, pts.length - 1]];
    while (stack.length) {
      const [a, b] = stack.pop(); const [ax, ay] = pts[a]; const [bx, by] = pts[b];
      const dx = bx - ax, dy = by - ay, len = Math.hypot(dx, dy);
      let far = -1, best = tol;
      for (let i = a + 1; i < b; i += 1) {
        const d = len === 0 ? Math.hypot(pts[i][0] - ax, pts[i][1] - ay) : Math.abs(dy * (pts[i][0] - ax) - dx * (pts[i][1] - ay)) / len;
        if (d > best) { best = d; far = i; }
      }
      if (far >= 0) { keep[far] = 1; stack.push([a, far], [far, b]); }
    }
    return pts.filter((_, i) => keep[i]);
  };
  const cache = (window.__leverCache ??= new WeakMap());
  const simplified = (window.__leverRdp ??= new WeakMap());
  const L = {
    base: (ctx) => R.drawElements(ctx, shown, view.images, vis),
    batch: (ctx) => {
      let batch = null;
      const flush = () => { if (batch) strokeBatch(ctx, batch); batch = null; };
      for (const e of shown) {
        if (!inView(e)) continue;
        const k = klass(e);
        if (!k) { flush(); R.drawElements(ctx, [e], view.images); continue; }
        const key = `${e.color}|${e.width}|${k}`;
        if (batch && batch.key !== key) flush();
        batch ??= { key, items: [] };
        batch.items.push(e);
      }
      flush();
    },
    batch_reorder: (ctx) => {
      const batches = [];
      for (const e of shown) {
        if (!inView(e)) continue;
        const k = klass(e);
        const box = R.inkBounds(e);
        const key = k ? `${e.color}|${e.width}|${k}` : null;
        let home = null;
        for (let i = batches.length - 1; i >= 0 && i >= batches.length - 48; i -= 1) {
          const b = batches[i];
          if (key && b.key === key) { home = b; break; }
          if (b.boxes.some((o) => overlaps(o, box))) break;
        }
        if (!home) { home = { key, items: [], boxes: [] }; batches.push(home); }
        home.items.push(e); home.boxes.push(box);
      }
      for (const b of batches) { if (b.key) strokeBatch(ctx, b); else R.drawElements(ctx, b.items, view.images); }
    },
    cached_path: (ctx) => {
      for (const e of shown) {
        if (!inView(e)) continue;
        if (!klass(e)) { R.drawElements(ctx, [e], view.images); continue; }
        let path = cache.get(e);
        if (!path) { path = new Path2D(); addTo(path, e); cache.set(e, path); }
        ctx.strokeStyle = e.color; ctx.lineWidth = e.width; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
        ctx.stroke(path);
      }
    },
    bevel_all: (ctx) => {
      for (const e of shown) {
        if (!inView(e)) continue;
        if (klass(e) !== 'round') { R.drawElements(ctx, [e], view.images); continue; }
        const path = new Path2D(); polyline(path, e.points);
        ctx.strokeStyle = e.color; ctx.lineWidth = e.width; ctx.lineCap = 'round'; ctx.lineJoin = 'bevel';
        ctx.stroke(path);
      }
    },
    bevel_thin: (ctx) => {
      for (const e of shown) {
        if (!inView(e)) continue;
        if (klass(e) !== 'round') { R.drawElements(ctx, [e], view.images); continue; }
        const path = new Path2D(); polyline(path, e.points);
        ctx.strokeStyle = e.color; ctx.lineWidth = e.width; ctx.lineCap = 'round';
        ctx.lineJoin = e.width * scale <= 1 ? 'bevel' : 'round';
        ctx.stroke(path);
      }
    },
    // Excalidraw's way (renderElement.ts, generateElementCanvas): each element rasterised
    // once into a bitmap of its own at this scale, placed at whole device pixels with the same
    // fraction as on the canvas; a redraw is a drawImage of each. The first call builds them.
    bitmaps: (ctx) => {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      for (const e of shown) {
        if (!inView(e)) continue;
        let got = bitmaps.get(e);
        if (!got) {
          const [l, t, r, b] = R.inkBounds(e);
          const x0 = Math.floor(l * scale + tx) - 3, y0 = Math.floor(t * scale + ty) - 3;
          const w = Math.ceil(r * scale + tx) + 3 - x0, h = Math.ceil(b * scale + ty) + 3 - y0;
          const own = new OffscreenCanvas(w, h);
          const octx = own.getContext('2d');
          octx.setTransform(scale, 0, 0, scale, tx - x0, ty - y0);
          R.drawElements(octx, [e], view.images);
          got = { bitmap: own.transferToImageBitmap(), x0, y0 };
          bitmaps.set(e, got);
          bitmapBytes += w * h * 4;
        }
        ctx.drawImage(got.bitmap, got.x0, got.y0);
      }
    },
    rdp: (ctx) => {
      const tol = 0.25 / scale;
      for (const e of shown) {
        if (!inView(e)) continue;
        if (klass(e) !== 'round') { R.drawElements(ctx, [e], view.images); continue; }
        let got = simplified.get(e);
        if (!got || got.tol !== tol) {
          const points = rdp(e.points, tol);
          got = { tol, path: new Path2D(), kept: points.length };
          polyline(got.path, points);
          simplified.set(e, got);
        }
        const path = got.path;
        ctx.strokeStyle = e.color; ctx.lineWidth = e.width; ctx.lineCap = 'round'; ctx.lineJoin = 'round';
        ctx.stroke(path);
      }
    },
  };
  const ctx = canvas.getContext('2d');
  const draw = (name) => {
    if (name === 'bitmaps' && !bitmaps.size) {
      // built once, outside the timed frames (what a cache pays when the board or zoom changes)
      const began = performance.now();
      const scratch = new OffscreenCanvas(1, 1).getContext('2d');
      L.bitmaps(scratch);
      bitmapBuildMs = performance.now() - began;
    }
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, width, height);
    ctx.setTransform(scale, 0, 0, scale, tx, ty);
    ctx.save(); L[name](ctx); ctx.restore();
    ctx.getImageData(0, 0, 1, 1);
  };
  view.painter.redraw = () => {};
  // The board drawn off the page's thread: `parts` workers, each drawing a horizontal band of
  // the canvas into an OffscreenCanvas with the same renderer; the page copies the bands in.
  // The elements are posted once beforehand (what a worker would be kept up to date with), so
  // a frame posts only the view. The worker is model.js + renderer.js +
  // scripts/bench_whiteboard_worker.js, served by the benchmark at this address (the page's
  // CSP allows workers from 'self' only: not from a blob).
  const url = '/ui/common/whiteboard/bench-board-worker.js';
  const workers = [];
  for (let i = 0; i < 2; i += 1) {
    const worker = new Worker(url);
    await new Promise((resolve, reject) => {
      worker.onmessage = resolve;
      worker.onerror = (event) => reject(new Error(`worker: ${event.message}`));
      setTimeout(() => reject(new Error('worker: no answer')), 10000);
      worker.postMessage({ elements: shown });
    });
    workers.push(worker);
  }
  const viaWorkers = (parts, label) => new Promise((resolve) => {
    let left = parts;
    const bands = [];
    for (let i = 0; i < parts; i += 1) {
      const y0 = Math.floor((height * i) / parts);
      const y1 = Math.floor((height * (i + 1)) / parts);
      workers[i].onmessage = ({ data }) => {
        bands.push(data);
        left -= 1;
        if (left) return;
        console.timeStamp(`lever-copy:worker${parts}`);
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        for (const band of bands) { ctx.drawImage(band.bitmap, 0, band.y0); band.bitmap.close(); }
        ctx.getImageData(0, 0, 1, 1);
        resolve();
      };
      workers[i].postMessage({ width, height, scale, tx, ty, y0, y1, label: `${label}:${i}` });
    }
  });
  const frame = (fn, label) =>
    new Promise((resolve) =>
      requestAnimationFrame(() => {
        if (label) console.timeStamp(label);
        const t = performance.now();
        fn();
        resolve(performance.now() - t);
      }),
    );
  // The pixels of each against the renderer's.
  const pixels = {};
  const all = [...variants, 'worker1', 'worker2'];
  const drawAny = async (name, label) => {
    if (name.startsWith('worker')) await viaWorkers(Number(name.slice(6)), label ?? 'w');
    else draw(name);
  };
  draw('base'); const base = ctx.getImageData(0, 0, width, height).data;
  for (const name of all) {
    counting = name;
    await drawAny(name);
    counting = null;
    const got = ctx.getImageData(0, 0, width, height).data;
    let max = 0, over = 0;
    for (let i = 0; i < got.length; i += 1) { const d = Math.abs(got[i] - base[i]); if (d > max) max = d; if (d > 96) over += 1; }
    pixels[name] = { max, over };
  }
  const times = Object.fromEntries(all.map((n) => [n, []]));
  const order = [];
  for (let r = 0; r < rounds; r += 1) {
    for (const name of all) {
      await frame(() => {});
      if (name.startsWith('worker')) {
        // wall clock: from the frame asking to the bands copied in
        const start = performance.now();
        await new Promise((resolve) => requestAnimationFrame(() => { console.timeStamp(`lever:${name}`); drawAny(name, `lever-worker:${name}`).then(resolve); }));
        times[name].push(performance.now() - start);
      } else times[name].push(await frame(() => draw(name), `lever:${name}`));
      order.push(name);
    }
  }
  for (const worker of workers) worker.terminate();
  let points = 0, kept = 0;
  for (const e of shown) if (klass(e) === 'round' && simplified.has(e)) { points += e.points.length; kept += simplified.get(e).kept; }
  const bitmapCache = { bytes: bitmapBytes, count: bitmaps.size, build_ms: bitmapBuildMs };
  return { pixels, times, order, canvas: [width, height], rdp: { points, kept }, calls, bitmapCache };
}
