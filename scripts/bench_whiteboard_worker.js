// The body of the benchmark's drawing worker (scripts/bench_whiteboard.py --levers): appended
// to ui/common/whiteboard/model.js and renderer.js with their imports and exports taken out.
// It keeps the elements it was sent and draws a horizontal band [y0, y1) of the canvas.
let elements = [];
onmessage = ({ data }) => {
  if (data.elements) {
    elements = data.elements;
    postMessage({ ready: true });
    return;
  }
  const { width, scale, tx, ty, y0, y1, label } = data;
  console.timeStamp(label);
  const canvas = new OffscreenCanvas(width, y1 - y0);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#ffffff";
  ctx.fillRect(0, 0, width, y1 - y0);
  ctx.setTransform(scale, 0, 0, scale, tx, ty - y0);
  const band = [(-3 - tx) / scale, (y0 - 3 - ty) / scale, (width + 3 - tx) / scale, (y1 + 3 - ty) / scale];
  drawElements(ctx, elements, null, band);
  ctx.getImageData(0, 0, 1, 1); // the pixels made here, not in the page
  const bitmap = canvas.transferToImageBitmap();
  postMessage({ bitmap, y0 }, [bitmap]);
};
