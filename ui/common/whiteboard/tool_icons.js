// The whiteboard toolbar's icons: SVG paths built with DOM calls (no markup strings).

const PATHS = {
  select: ["M5 3.5l13 7-6 1.5-3 6z"],
  pen: ["M4 20c3-1 4-4 7-7l6-6a2 2 0 0 1 3 3l-6 6c-3 3-6 4-7 7z"],
  eraser: ["M8 20h12", "M4.5 15.5l9-9a2 2 0 0 1 3 0l3 3a2 2 0 0 1 0 3L12 20H8.5z", "M9 11l5 5"],
  text: ["M5 6V4.5h14V6", "M12 4.5v15", "M9 19.5h6"],
  line: ["M5 19L19 5"],
  rectangle: ["M4.5 6.5h15v11h-15z"],
  ellipse: ["M12 5.5c4.4 0 8 2.9 8 6.5s-3.6 6.5-8 6.5-8-2.9-8-6.5 3.6-6.5 8-6.5z"],
  image: ["M3.5 4.5h17v15h-17z", "M20.5 16l-5-5-8.5 8.5", "M9 8.2a1.8 1.8 0 1 0 0 3.6 1.8 1.8 0 0 0 0-3.6z"],
  undo: ["M9 14l-5-5 5-5", "M4 9h10a6 6 0 0 1 0 12h-3"],
  redo: ["M15 14l5-5-5-5", "M20 9H10a6 6 0 0 0 0 12h3"],
  zoomIn: ["M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13z", "M20 20l-4.8-4.8", "M10.5 7.5v6M7.5 10.5h6"],
  zoomOut: ["M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13z", "M20 20l-4.8-4.8", "M7.5 10.5h6"],
  fit: ["M4 9V4h5", "M20 9V4h-5", "M4 15v5h5", "M20 15v5h-5"],
  newBoard: ["M6 3.5h8l4.5 4.5v12.5H6z", "M12 11v6M9 14h6"],
  save: ["M12 3.5v12", "M7 10.5l5 5 5-5", "M4.5 20h15"],
  copy: ["M8.5 8.5h12v12h-12z", "M15.5 5.5V3.5h-12v12h2"],
  print: ["M7 8V3.5h10V8", "M7 17H4.5V9.5h15V17H17", "M7 14h10v6.5H7z"],
  close: ["M6 6l12 12M18 6L6 18"],
  trash: ["M4.5 6.5h15M9.5 6.5v-2h5v2M6.5 6.5l1 13h9l1-13"],
};

const SVG = "http://www.w3.org/2000/svg";

/** A `<span class="rs-icon">` with the named icon. */
export function toolIcon(name) {
  const span = document.createElement("span");
  span.className = "rs-icon";
  const svg = document.createElementNS(SVG, "svg");
  for (const [key, value] of Object.entries({
    viewBox: "0 0 24 24",
    width: "1em",
    height: "1em",
    fill: "none",
    stroke: "currentColor",
    "stroke-width": "1.8",
    "stroke-linecap": "round",
    "stroke-linejoin": "round",
    "aria-hidden": "true",
    focusable: "false",
  })) {
    svg.setAttribute(key, value);
  }
  for (const d of PATHS[name]) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  span.append(svg);
  return span;
}
