// The whiteboard's picture leaving the page (CH3): copied to the clipboard as a PNG, or
// printed (the browser's print dialog; the page prints only the picture: whiteboard.css).
// Save as BMP is the relay's file (relay_server/whiteboard/render.py), not drawn here.

import { element } from "../dom.js";
import { boardCanvas } from "./renderer.js";

/** `elements` (live, in drawing order) as a PNG blob, one pixel per board pixel. */
export function pngBlob(elements, images) {
  return new Promise((resolve, reject) => {
    boardCanvas(elements, images).toBlob((blob) => (blob ? resolve(blob) : reject(new Error("no image"))), "image/png");
  });
}

/** Put the board on the clipboard as an image; throws `noClipboard` where the engine cannot. */
export async function copyBoard(elements, images, noClipboard) {
  if (!navigator.clipboard?.write || typeof ClipboardItem === "undefined") {
    throw new Error(noClipboard);
  }
  await navigator.clipboard.write([new ClipboardItem({ "image/png": pngBlob(elements, images) })]);
}

/** Print the board's picture: a sheet with it, the print dialog, the sheet gone again. */
export async function printBoard(elements, images) {
  const url = URL.createObjectURL(await pngBlob(elements, images));
  const sheet = element("div", "wb-print", { "data-testid": "wb-print-sheet" });
  const picture = element("img", "wb-print__image", { alt: "" });
  sheet.append(picture);
  document.body.append(sheet);
  await new Promise((resolve) => {
    picture.onload = resolve;
    picture.onerror = resolve;
    picture.src = url;
  });
  document.body.classList.add("wb-printing");
  try {
    window.print(); // Chromium, and WebKitGTK's GTK dialog, return when it is closed
  } finally {
    document.body.classList.remove("wb-printing");
    sheet.remove();
    URL.revokeObjectURL(url);
  }
}
