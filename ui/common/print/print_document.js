// Printing a document the customer agreed to print (remote print): the browser's own print
// dialog, for a PDF or an image held as a Blob. An image is put in a print-only area of this
// page and the page is printed (a stylesheet hides everything else on paper); a PDF is loaded in
// a hidden frame and that frame prints (the browser's PDF viewer lays out its pages). Nothing
// here runs unless the customer pressed Print (ui/common/print/print_requests.js).

import { element } from "../dom.js";

const STYLESHEET = new URL("./print.css", import.meta.url).href;

/** "image", "pdf", or null for a type a browser cannot print for us (pure). */
export function printKind(mime) {
  if (mime === "application/pdf") {
    return "pdf";
  }
  return /^image\/(png|jpeg|gif|webp)$/.test(mime) ? "image" : null;
}

/** Load print.css (the request cards and the print-only area) once per page. */
export function ensurePrintStyles() {
  if (![...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === STYLESHEET)) {
    document.head.append(element("link", "", { rel: "stylesheet", href: STYLESHEET }));
  }
}

/**
 * Open the print dialog for `blob`.
 * @param {Blob} blob the document's bytes
 * @param {string} mime `application/pdf` or an image type
 * @param {string} name its name (the frame's title)
 * @returns {Promise<void>} once the dialog was opened (for an image: once it closed)
 */
export async function printDocument(blob, mime, name) {
  const kind = printKind(mime);
  if (kind === null) {
    throw new Error(`${mime} cannot be printed`);
  }
  ensurePrintStyles();
  const url = URL.createObjectURL(new Blob([blob], { type: mime }));
  if (kind === "image") {
    const image = new Image();
    image.src = url;
    image.alt = name;
    await image.decode();
    const area = document.querySelector(".rs-print-area") ?? element("div", "rs-print-area");
    area.replaceChildren(image);
    document.body.append(area);
    document.documentElement.classList.add("rs-printing");
    try {
      window.print(); // returns when the dialog closes
    } finally {
      document.documentElement.classList.remove("rs-printing");
      area.replaceChildren();
      URL.revokeObjectURL(url);
    }
    return;
  }
  document.querySelector(".rs-print-frame")?.remove();
  const frame = element("iframe", "rs-print-frame", { title: name, "aria-hidden": "true", tabindex: "-1" });
  await new Promise((resolve, reject) => {
    frame.addEventListener("load", resolve, { once: true });
    frame.addEventListener("error", () => reject(new Error("the document did not load")), { once: true });
    frame.src = url;
    document.body.append(frame);
  });
  try {
    frame.contentWindow.print();
  } catch {
    window.open(url, "_blank", "noopener"); // a browser that prints no PDF frame: its own tab
  }
}
