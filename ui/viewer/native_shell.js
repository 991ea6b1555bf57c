// The one-time viewer's native side (P1, P10): what changes when ui/viewer/ runs in the
// viewer program's window (suite/viewer/app.py) instead of a browser tab.
//
// The program opens /view#rs-native=1&session_id=…&customer_token=… (a fragment is never sent
// to a server). attachNativeShell() runs before the viewer starts: it moves that session into
// sessionStorage, where the viewer looks for it, and clears the fragment. Then, through
// window.pywebview.api (suite/viewer/app.py, ViewerBridge):
//   - an end notice (session ended, access lost) tells the program, which closes the window a
//     few seconds later and removes its own file;
//   - the overlay's "Close" button and the full-screen button use the native window;
//   - the first painted frame is reported (start-up measurement);
//   - nativeFiles(): received files are fetched by the program into the customer's downloads
//     folder (Downloads/RemoteSales), then "Open folder" shows them (ui/viewer/viewer_files.js).
//   - nativeBoardSaver(): the whiteboard's "Save as BMP" is saved by the program into the same
//     folder, and the board says where (WebKitGTK saves a page download without telling).
// In a browser tab none of this happens: attachNativeShell() returns null.

import { byId } from "../common/dom.js";
import { saveJson } from "../common/storage.js";

const NATIVE_FLAG = "rs-native";
const NATIVE_KEY = "rs.viewer.native";
const OVER_KINDS = new Set(["ended", "lost", "no_session"]);
const CLOSING_KINDS = new Set(["ended", "stopped", "lost", "no_session"]);

let shell = null;

/** Adopt the session the program passed, and wire the native window; null in a browser. */
export function attachNativeShell(sessionKey) {
  const params = new URLSearchParams(window.location.hash.slice(1));
  if (params.get(NATIVE_FLAG) === "1") {
    const session = {
      session_id: params.get("session_id"),
      customer_token: params.get("customer_token"),
    };
    if (session.session_id && session.customer_token) {
      saveJson(window.sessionStorage, sessionKey, session);
    }
    saveJson(window.sessionStorage, NATIVE_KEY, true);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
  let native = false;
  try {
    native = window.sessionStorage.getItem(NATIVE_KEY) === "true";
  } catch {
    native = params.get(NATIVE_FLAG) === "1";
  }
  if (!native) {
    return null;
  }
  shell = new NativeShell();
  shell.start();
  return shell;
}

/**
 * CH9: in the one-time viewer whose engine has no WebRTC (Debian's WebKitGTK), a function that
 * opens the relay's call handoff link in the system browser (true when one opened); null in a
 * browser tab, or where the engine can call.
 */
export function nativeCallInBrowser(win = window) {
  if (!shell || typeof win.RTCPeerConnection === "function") {
    return null;
  }
  return async (url) => Boolean(await (await shell.api()).open_call_in_browser(url));
}

/** Received files in the native viewer: {receive(transfer) → path, openFolder()}; null in a browser. */
export function nativeFiles() {
  return shell ? shell.files : null;
}

/** CH3: in the native viewer, (board number) → the saved BMP's path; null in a browser. */
export function nativeBoardSaver() {
  return shell ? async (board) => (await shell.api()).save_whiteboard_bmp(board) : null;
}

class NativeShell {
  constructor() {
    this._api = null;
    this._reportedOver = false;
    this.files = Object.freeze({
      // The program streams the transfer from the relay itself (resumable, sha256-checked).
      receive: async (transfer) => (await this.api()).receive_file(transfer),
      openFolder: async () => (await this.api()).open_received_folder(),
    });
  }

  /** window.pywebview.api once pywebview has injected it. */
  api() {
    if (!this._api) {
      this._api = new Promise((resolve) => {
        if (window.pywebview?.api) {
          resolve(window.pywebview.api);
        } else {
          window.addEventListener("pywebviewready", () => resolve(window.pywebview.api), { once: true });
        }
      });
    }
    return this._api;
  }

  start() {
    document.documentElement.dataset.native = "true";
    // CH9: the program logs what its engine can do for calls (WebKitGTK may lack WebRTC).
    const webrtc = typeof window.RTCPeerConnection === "function";
    this.api().then((api) => api.call_support({ webrtc }));
    const overlay = byId("overlay");
    new MutationObserver(() => this._overlayChanged(overlay)).observe(overlay, {
      attributes: true,
      attributeFilter: ["data-kind", "hidden"],
    });
    // Capture phase: runs before the browser viewer's own handlers, which it replaces.
    byId("overlay-action").addEventListener(
      "click",
      (event) => {
        if (CLOSING_KINDS.has(overlay.dataset.kind)) {
          event.stopImmediatePropagation();
          this.api().then((api) => api.close());
        }
      },
      true,
    );
    const fullscreen = byId("fullscreen-button");
    fullscreen.addEventListener(
      "click",
      (event) => {
        event.stopImmediatePropagation();
        this.api().then((api) => api.toggle_fullscreen());
      },
      true,
    );
    // The viewer hides the button when the page may not go full screen; the window can.
    setTimeout(() => {
      fullscreen.hidden = false;
    }, 0);
    this._watchFirstFrame();
  }

  _overlayChanged(overlay) {
    const kind = overlay.dataset.kind;
    if (overlay.hidden || !OVER_KINDS.has(kind) || this._reportedOver) {
      return;
    }
    this._reportedOver = true;
    this.api().then((api) => api.session_over(kind));
  }

  _watchFirstFrame() {
    const check = () => {
      if ((window.__rsViewer?.stats().framesPainted ?? 0) > 0) {
        this.api().then((api) => api.first_frame());
        return;
      }
      requestAnimationFrame(check);
    };
    requestAnimationFrame(check);
  }
}
