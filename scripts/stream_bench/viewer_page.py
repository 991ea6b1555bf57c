"""The benchmark's viewer: a page that decodes, paints, acknowledges and reports each frame.

Smaller than ``ui/viewer/`` on purpose: it measures the stream (capture-to-paint times, bytes,
when the canvas became pixel-exact), not the viewer's interface. Video frames (kind 2) are
decoded with WebCodecs' VideoDecoder as ``ui/common/screen/video_decoder.js`` does; the page
announces VP8/VP9 in ``decoder_support`` unless told it has no video decoder. A video picture
smaller than its region goes, as in ``ui/common/screen/video_layer.js``, to a
MediaStreamTrackGenerator shown by a ``<video>`` element over the canvas (the compositor
scales it); a region frame painted where it is first draws its last picture into the canvas.
"""

from __future__ import annotations

# How the benchmarks launch Debian's Chromium for their viewers (bench_stream.py, viewer_cpu.py).
CHROMIUM_PATH = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Background pages must not be throttled: every viewer is a page of its own.
    "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]  # fmt: skip

VIEWER_HTML = """<!doctype html><html><body style="margin:0;background:#000">
<div id="stage" style="position:relative">
<canvas id="screen" width="1920" height="1080" style="width:100%;display:block"></canvas></div>
</body></html>"""

VIEWER_JS = """
([url, hello, videoOn]) => {
  const canvas = document.getElementById("screen");
  const ctx = canvas.getContext("2d");
  const CELL = 16;
  const bench = window.bench = {
    states: [], paints: [], bytes: 0, frames: 0, video: 0, lost: 0, exactAt: null, closed: null,
    cols: 0, rows: 0, exact: null, exactCount: 0,
    // Where the bytes go: region frames, video key and delta frames, video frames per layer.
    split: null,
    mark() {
      this.paints = []; this.bytes = 0; this.frames = 0; this.video = 0; this.lost = 0;
      this.split = {regionBytes: 0, keyBytes: 0, deltaBytes: 0, keys: 0, layers: [0, 0]};
    },
    report() {
      return {paints: this.paints, bytes: this.bytes, frames: this.frames, video: this.video,
              exactAt: this.exactAt, allExact: this.exactCount === this.cols * this.rows,
              states: this.states, closed: this.closed, lost: this.lost, split: this.split};
    },
  };
  const types = {1: "image/jpeg", 2: "image/png", 3: "image/webp"};
  // The video layer (ui/common/screen/video_layer.js's TrackVideoLayer, in short).
  const layer = {video: null, writer: null, last: null, rect: null};
  const flatten = () => {
    if (!layer.rect) return;
    const [x, y, w, h] = layer.rect;
    ctx.drawImage(layer.last, x, y, w, h);
    layer.last.close(); layer.last = null; layer.rect = null;
    layer.video.style.display = "none";
  };
  bench.flatten = flatten;
  const flattenUnder = (x, y, w, h) => {
    const r = layer.rect;
    if (r && x < r[0] + r[2] && r[0] < x + w && y < r[1] + r[3] && r[1] < y + h) flatten();
  };
  const paintVideo = (frame, x, y, w, h) => {
    if (typeof MediaStreamTrackGenerator !== "function"
        || (frame.displayWidth === w && frame.displayHeight === h)) {
      flattenUnder(x, y, w, h);
      ctx.drawImage(frame, x, y, w, h);
      return;
    }
    if (layer.rect && layer.rect.join() !== [x, y, w, h].join()) flatten();
    if (!layer.video) {
      const generator = new MediaStreamTrackGenerator({kind: "video"});
      layer.writer = generator.writable.getWriter();
      layer.video = document.createElement("video");
      layer.video.muted = true;
      Object.assign(layer.video.style, {position: "absolute", objectFit: "fill", display: "none"});
      layer.video.srcObject = new MediaStream([generator]);
      canvas.after(layer.video);
    }
    if (layer.last) layer.last.close();
    layer.last = frame.clone();
    layer.writer.write(frame.clone()).catch(() => {});
    if (!layer.rect) {
      layer.rect = [x, y, w, h];
      const cw = canvas.width / 100, ch = canvas.height / 100;
      Object.assign(layer.video.style, {left: `${x / cw}%`, top: `${y / ch}%`, width: `${w / cw}%`,
                                        height: `${h / ch}%`, display: "block"});
      layer.video.play().catch(() => {});
    }
  };
  let chain = Promise.resolve();
  // One decoder per stream/layer/size, as ui/common/screen/video_decoder.js: a key frame of
  // another one retires the old decoder (flushed: the frames in it are still painted), a
  // stream's end retires its own, and a delta frame with no decoder to follow is reported once
  // (video_lost) so the relay sends a key frame.
  let decoder = null, config = "", lostSent = false, ws = null;
  const waiters = new Map();  // seq -> resolve
  const refuse = (owner) => {  // the frames a decoder still owes: no picture
    for (const seq of owner.seqs) {
      const done = waiters.get(seq);
      waiters.delete(seq);
      if (done) done(null);
    }
    owner.seqs.clear();
  };
  const retire = (old) => {
    if (!old) return;
    const finish = () => {
      try { old.decoder.close(); } catch (e) { /* closed by its error */ }
      refuse(old);
    };
    old.decoder.flush().then(finish, finish);
  };
  const decodeVideo = (buffer, seq, codec, flags, layer, codedW, codedH, stream) => {
    const key = (flags & 1) !== 0;
    const cfg = `${codec}/${stream}/${layer}/${codedW}x${codedH}`;
    return new Promise((resolve) => {
      if (key && (!decoder || cfg !== config || decoder.decoder.state !== "configured")) {
        retire(decoder);
        const made = {seqs: new Set(), decoder: null};
        made.decoder = new VideoDecoder({
          output: (frame) => {
            const done = waiters.get(frame.timestamp);
            waiters.delete(frame.timestamp);
            made.seqs.delete(frame.timestamp);
            if (done) done(frame); else frame.close();
          },
          error: (error) => {
            bench.error = String(error);
            refuse(made);
            if (decoder === made) decoder = null;
          },
        });
        made.decoder.configure({codec: codec === 2 ? "vp09.00.10.08" : "vp8", codedWidth: codedW,
                                codedHeight: codedH, optimizeForLatency: true});
        decoder = made; config = cfg; lostSent = false;
      }
      if (!decoder || cfg !== config || decoder.decoder.state !== "configured") {
        bench.lost += 1;
        if (!lostSent) { lostSent = true; ws.send(JSON.stringify({type: "video_lost", seq})); }
        resolve(null);
        return;
      }
      waiters.set(seq, resolve);
      decoder.seqs.add(seq);
      decoder.decoder.decode(new EncodedVideoChunk({type: key ? "key" : "delta", timestamp: seq,
                                                    data: new Uint8Array(buffer, 40)}));
    });
  };
  ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => ws.send(JSON.stringify(hello));
  ws.onclose = (event) => { bench.closed = event.code; };
  ws.onmessage = (event) => {
    if (typeof event.data === "string") {
      const message = JSON.parse(event.data);
      if (message.type === "screen_state") bench.states.push(message.state);
      if (message.type === "welcome") {
        ws.send(JSON.stringify({type: "decoder_support", video: videoOn ? ["vp8", "vp9"] : []}));
      }
      return;
    }
    const buffer = event.data;
    const view = new DataView(buffer);
    const seq = view.getUint32(4, true), captureMs = view.getFloat64(8, true);
    const x = view.getUint16(16, true), y = view.getUint16(18, true);
    const w = view.getUint16(20, true), h = view.getUint16(22, true);
    const sw = view.getUint16(24, true), sh = view.getUint16(26, true);
    const encoding = view.getUint8(28), flags = view.getUint8(29);
    bench.bytes += buffer.byteLength;
    const video = view.getUint8(3) === 2;
    if (bench.split) {
      const split = bench.split;
      if (!video) split.regionBytes += buffer.byteLength;
      else if (flags & 1) { split.keyBytes += buffer.byteLength; split.keys += 1; }
      else split.deltaBytes += buffer.byteLength;
      if (video && !(flags & 2)) split.layers[view.getUint8(30)] += 1;
    }
    if (video && flags & 2) {  // the stream's end: no picture, no acknowledgement
      if (decoder && config.split("/")[1] === String(view.getUint32(36, true))) {
        retire(decoder); decoder = null; config = "";
      }
      return;
    }
    const decoded = video
      ? decodeVideo(buffer, seq, encoding, flags, view.getUint8(30), view.getUint16(32, true),
                    view.getUint16(34, true), view.getUint32(36, true))
      : null;
    const blob = video ? null : new Blob([new Uint8Array(buffer, 32)], {type: types[encoding]});
    chain = chain.then(async () => {
      if (video) {
        const frame = await decoded;
        if (frame) { paintVideo(frame, x, y, w, h); frame.close(); bench.video += 1; }
      } else {
        const bitmap = await createImageBitmap(
          blob, {colorSpaceConversion: "none", premultiplyAlpha: "none"});
        flattenUnder(x, y, w, h);
        ctx.drawImage(bitmap, x, y);
        bitmap.close();
      }
      const painted = performance.timeOrigin + performance.now();
      ws.send(JSON.stringify({type: "screen_ack", seq}));
      ws.send(JSON.stringify({type: "paint_report", seq, capture_ms: captureMs,
                              painted_ms: painted}));
      bench.frames += 1;
      bench.paints.push([captureMs, painted, buffer.byteLength]);
      if (!bench.exact || bench.cols !== Math.ceil(sw / CELL)) {
        bench.cols = Math.ceil(sw / CELL); bench.rows = Math.ceil(sh / CELL);
        bench.exact = new Uint8Array(bench.cols * bench.rows); bench.exactCount = 0;
      }
      const lossless = !video && flags & 1 ? 1 : 0;
      for (let r = Math.floor(y / CELL); r < Math.ceil((y + h) / CELL); r++) {
        for (let c = Math.floor(x / CELL); c < Math.ceil((x + w) / CELL); c++) {
          const i = r * bench.cols + c;
          bench.exactCount += lossless - bench.exact[i];
          bench.exact[i] = lossless;
        }
      }
      bench.exactAt = bench.exactCount === bench.cols * bench.rows ? painted : null;
    }).catch((error) => { bench.error = String(error); });
  };
}
"""
