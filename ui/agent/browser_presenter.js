// The agent page presents from the browser: what getDisplayMedia captures goes
// out as the same region frames the desktop app's presenter sends (docs/protocol.md, "Screen
// channel"), so the relay and the viewers cannot tell the two apart. View only: there is no
// input injection in a browser (control needs the desktop app).
//
//   pick()   in the "Present screen" click (browsers want a user gesture): the browser's own
//            picker (screen, window or tab); the stream is held, nothing is sent yet
//   start()  the customer accepted: the agent's screen socket (hello, channel "screen"),
//            present_start {screen_w, screen_h}, then one capture per capture_credit: draw the
//            newest video frame on a canvas, diff 64-px tiles against the previous capture,
//            encode the changed rectangles (JPEG, or PNG where few colours), send; lossy tiles
//            that stay still for STILL_MS are sent again as PNG (lossless refresh)
//   pause() / resume() / stop()  present_pause / present_resume / present_stop
// The browser's own "Stop sharing" ends the track: present_stop, and `onEnded` tells the page.
// No cursor messages: a browser does not say where the pointer is (the picture may show it).
//
// Frames are read with MediaStreamTrackProcessor where the browser has it (Chromium): its
// promises are not throttled when the agent page is in a background tab, as timers are; else
// from a <video> element polled by a timer.

import { FrameEncoding, FrameFlag } from "../common/screen/frame.js";
import { MAX_SEQ, encodeRegionFrame } from "../common/screen/frame_writer.js";
import {
  TILE_PX,
  changedBounds,
  changedTiles,
  hasFewColors,
  planUpdate,
  tileRuns,
} from "../common/screen/region_plan.js";
import { MessageType } from "../common/protocol.js";
import { SessionSocket } from "../common/session_socket.js";

export const DEFAULT_QUALITY = 70; // the desktop app's default (suite/screen/encoders.py)
const MAX_FPS = 30;
const STILL_MS = 250; // suite/screen/refresh.py
const REFRESH_BUDGET_PX = 1920 * 160;
const MAX_FRAME_BYTES = 4 * 1024 * 1024; // the relay's limit for a binary frame
// A bigger capture is scaled down to fit: a 4K screen would cost 33 MB of pixels per capture to
// diff. (Not as getDisplayMedia constraints: given a maximum, Chromium picks that size.)
const MAX_WIDTH_PX = 2560;
const MAX_HEIGHT_PX = 1600;
const VIDEO_CONSTRAINTS = Object.freeze({ frameRate: { max: MAX_FPS } });

/** An error the page shows: `code` is "cancelled" (the agent closed the picker) or "failed". */
export class PresentError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "PresentError";
    this.code = code;
  }
}

export class BrowserPresenter {
  /** True where the page can capture: a secure context in a browser with getDisplayMedia. */
  static supported() {
    return Boolean(window.isSecureContext && navigator.mediaDevices?.getDisplayMedia);
  }

  /**
   * @param {object} options
   * @param {string} options.sessionId
   * @param {() => {token: string, wsUrl: string|null}} options.auth
   * @param {() => void} options.onEnded the capture ended outside the page (the browser's
   *   "Stop sharing", the shared window closed) or the relay gave the screen to another presenter
   * @param {number} [options.quality] JPEG quality 10-100
   */
  constructor({ sessionId, auth, onEnded, quality = DEFAULT_QUALITY }) {
    Object.assign(this, { sessionId, auth, onEnded });
    this.quality = quality / 100;
    this.stream = null;
    this.socket = null;
    this.state = "idle"; // idle → picked → live ⇄ paused → idle
    this.stats = { captures: 0, sentCaptures: 0, frames: 0, bytes: 0, keyFrames: 0, refreshFrames: 0, width: 0, height: 0, syncMs: 0, encodeMs: 0 };
    this._credit = 0;
    this._busy = false;
    this._latest = null; // the newest VideoFrame not yet used (processor path)
    this._video = null;
    this._reader = null;
    this._timer = null;
    this._lastCaptureMs = 0;
    this._resetPicture(0, 0);
  }

  /**
   * Ask the browser for a screen, window or tab (call it inside the click).
   * @throws {PresentError} "cancelled" when the agent closed the picker, else "failed"
   */
  async pick() {
    this.release();
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: VIDEO_CONSTRAINTS, audio: false });
    } catch (error) {
      const cancelled = error?.name === "NotAllowedError" || error?.name === "AbortError";
      throw new PresentError(cancelled ? "cancelled" : "failed", error?.message ?? String(error));
    }
    const [track] = stream.getVideoTracks();
    this.stream = stream;
    this.state = "picked";
    track.addEventListener("ended", () => this._trackEnded(stream));
    await this._openFrames(track);
  }

  /** The customer accepted: open the screen socket and present what pick() got. */
  start() {
    if (this.state !== "picked" || this.stream === null) {
      return false;
    }
    const auth = this.auth();
    this.state = "live";
    this.socket = new SessionSocket({
      role: "agent",
      sessionId: this.sessionId,
      token: auth.token,
      url: auth.wsUrl || undefined,
      channel: "screen",
    });
    // Every welcome (the first, and after a reconnect) starts the picture again: key frame.
    this.socket.on(MessageType.WELCOME, () => this._begin());
    this.socket.on(MessageType.CAPTURE_CREDIT, ({ frames }) => {
      if (Number.isInteger(frames) && frames > 0) {
        this._credit += frames;
        this._capture();
      }
    });
    this.socket.on("status", ({ status, reason }) => {
      if (status === "closed" && reason !== "client_closed" && this.socket !== null) {
        this.stop(); // replaced by another presenter, or the session is over
        this.onEnded();
      }
    });
    this.socket.connect();
    return true;
  }

  pause() {
    if (this.state === "live") {
      this.state = "paused";
      this.socket?.send(MessageType.PRESENT_PAUSE);
    }
  }

  resume() {
    if (this.state === "paused") {
      this.state = "live";
      this.socket?.send(MessageType.PRESENT_RESUME);
      this._capture();
    }
  }

  /** End the presentation (present_stop) and let go of the capture. */
  stop() {
    const socket = this.socket;
    this.socket = null;
    if (socket !== null) {
      socket.send(MessageType.PRESENT_STOP);
      socket.close();
    }
    this.release();
  }

  /** Stop capturing without telling anyone (declined, or never started). */
  release() {
    for (const track of this.stream?.getTracks() ?? []) {
      track.stop();
    }
    this.stream = null;
    clearTimeout(this._timer);
    this._timer = null;
    this._reader?.cancel().catch(() => {});
    this._reader = null;
    this._latest?.close();
    this._latest = null;
    if (this._video) {
      this._video.srcObject = null;
      this._video = null;
    }
    this._credit = 0;
    this.state = "idle";
  }

  /** What the e2e tests and the benchmark read (window.__rsTest.presenter()). */
  testState() {
    return {
      state: this.state,
      socket: this.socket?.status ?? "closed",
      credit: this._credit,
      track: this.stream?.getVideoTracks()[0]?.readyState ?? "none",
      ...this.stats,
    };
  }

  // ---------- frames from the track ----------

  async _openFrames(track) {
    if (typeof MediaStreamTrackProcessor === "function") {
      // eslint-disable-next-line no-undef
      const processor = new MediaStreamTrackProcessor({ track });
      this._reader = processor.readable.getReader();
      this._readFrames(this._reader);
      return;
    }
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = this.stream;
    this._video = video;
    await video.play();
  }

  async _readFrames(reader) {
    for (;;) {
      let result;
      try {
        result = await reader.read();
      } catch {
        return; // cancelled by release()
      }
      if (result.done || reader !== this._reader) {
        result.value?.close();
        return;
      }
      this._latest?.close();
      this._latest = result.value; // only the newest frame is ever drawn
      this._capture();
    }
  }

  _trackEnded(stream) {
    if (stream !== this.stream) {
      return;
    }
    this.stop();
    this.onEnded();
  }

  // ---------- the picture ----------

  _resetPicture(width, height) {
    this.width = width;
    this.height = height;
    this._previous = null;
    this._seq = 0;
    const cells = Math.ceil(height / TILE_PX) * Math.ceil(width / TILE_PX);
    this._lossy = new Uint8Array(cells);
    this._changedMs = new Float64Array(cells);
  }

  /** The picture's size: the capture's, scaled down to fit MAX_WIDTH_PX × MAX_HEIGHT_PX. */
  _size() {
    let width;
    let height;
    if (this._latest) {
      [width, height] = [this._latest.displayWidth, this._latest.displayHeight];
    } else {
      const settings = this.stream?.getVideoTracks()[0]?.getSettings() ?? {};
      width = this._video?.videoWidth || settings.width || 0;
      height = this._video?.videoHeight || settings.height || 0;
    }
    const scale = Math.min(1, MAX_WIDTH_PX / Math.max(1, width), MAX_HEIGHT_PX / Math.max(1, height));
    return [Math.round(width * scale), Math.round(height * scale)];
  }

  _begin() {
    const [width, height] = this._size();
    this._credit = 0; // present_start resets credit on the relay too
    if (width === 0 || height === 0) {
      // No frame yet: the first one to arrive calls _capture(), which starts the picture.
      this._resetPicture(0, 0);
      return;
    }
    this._resetPicture(width, height);
    this.stats.width = width;
    this.stats.height = height;
    // control: false — a page cannot inject input; the viewer says control needs the app.
    this.socket?.send(MessageType.PRESENT_START, { screen_w: width, screen_h: height, control: false });
    if (this.state === "paused") {
      this.socket?.send(MessageType.PRESENT_PAUSE);
    }
  }

  /** One capture if there is credit, a frame and nothing in progress; else try again later. */
  _capture() {
    if (this.socket === null || !this.socket.online || this._busy) {
      return;
    }
    const [width, height] = this._size();
    if (width > 0 && (width !== this.width || height !== this.height)) {
      this._begin(); // the shared window changed size: a new picture (present_start)
      return;
    }
    if (this.state !== "live" || this._credit <= 0) {
      return;
    }
    const now = performance.now();
    const wait = this._lastCaptureMs + 1000 / MAX_FPS - now;
    // Without a new frame, a capture may still be due for the lossless refresh: it reads the
    // canvas again (the last picture), finds nothing changed and sends the refresh only.
    const refreshing = this._previous !== null && this._lossy.includes(1);
    const source = this._latest ?? this._video ?? (refreshing ? "again" : null);
    if (source === null) {
      return; // the next frame from the track calls again
    }
    if (wait > 0) {
      this._later(wait);
      return;
    }
    this._lastCaptureMs = now;
    this._busy = true;
    this._latest = null;
    this._encode(source)
      .catch((error) => console.error("a capture failed", error))
      .finally(() => {
        if (source !== this._video && source !== "again") {
          source.close();
        }
        this._busy = false;
        if (this._credit > 0) {
          this._later(this._video ? 1000 / MAX_FPS : STILL_MS); // video: poll; else refresh
        }
      });
  }

  _later(delayMs) {
    if (this._timer === null) {
      this._timer = setTimeout(() => {
        this._timer = null;
        this._capture();
      }, delayMs);
    }
  }

  async _encode(source) {
    const { width, height } = this;
    if (!this._canvas || this._canvas.width !== width || this._canvas.height !== height) {
      this._canvas = new OffscreenCanvas(width, height);
      this._context = this._canvas.getContext("2d", { willReadFrequently: true });
    }
    const started = performance.now();
    const captureMs = performance.timeOrigin + started;
    if (source !== "again") {
      this._context.drawImage(source, 0, 0, width, height);
    }
    const image = this._context.getImageData(0, 0, width, height);
    const pixels = new Uint32Array(image.data.buffer);
    const previous = this._previous;
    this.stats.captures += 1;
    const grid = changedTiles(previous, pixels, width, height, TILE_PX);
    let update = planUpdate(grid, TILE_PX, width, height);
    if (previous !== null && !update.key) {
      update = { rects: update.rects.map((rect) => changedBounds(previous, pixels, width, rect)), key: false };
    }
    this._previous = pixels;
    grid.dirty.forEach((dirty, cell) => {
      if (dirty) this._changedMs[cell] = captureMs;
    });
    const jobs = update.rects.map((rect) => {
      const lossless = hasFewColors(pixels, width, rect);
      return this._region(image, rect, lossless, update.key, captureMs);
    });
    for (const rect of this._refreshDue(captureMs)) {
      jobs.push(this._region(image, rect, true, false, captureMs));
      this.stats.refreshFrames += 1;
    }
    this.stats.syncMs += performance.now() - started; // draw, read back, diff, plan: main thread
    const frames = await Promise.all(jobs);
    this.stats.encodeMs += performance.now() - started; // ... and the browser's image encoding
    if (frames.length === 0 || this.socket === null || width !== this.width) {
      return;
    }
    if (this.state !== "live") {
      // Paused while encoding: frames sent now would wait at the relay, which pumps nothing on
      // resume. Keep the credit and send the whole picture after resume instead.
      this._previous = null;
      return;
    }
    for (const frame of frames) {
      this.socket.sendBinary(frame);
      this.stats.frames += 1;
      this.stats.bytes += frame.byteLength;
    }
    this._credit -= 1;
    this.stats.sentCaptures += 1;
  }

  /** Encode one rectangle of the capture into a region frame (and keep the lossy books). */
  async _region(image, rect, lossless, key, captureMs) {
    const canvas = new OffscreenCanvas(rect.w, rect.h);
    canvas.getContext("2d").putImageData(image, -rect.x, -rect.y, rect.x, rect.y, rect.w, rect.h);
    let blob = await canvas.convertToBlob(lossless ? { type: "image/png" } : { type: "image/jpeg", quality: this.quality });
    if (blob.size > MAX_FRAME_BYTES - 64) {
      lossless = false; // a noisy PNG past the relay's frame limit: send it lossy instead
      blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.5 });
    }
    this._noteSent(rect, lossless);
    this._seq = this._seq < MAX_SEQ ? this._seq + 1 : 1;
    if (key) this.stats.keyFrames += 1;
    const flags = (lossless ? FrameFlag.LOSSLESS : 0) | (key ? FrameFlag.KEY_FRAME : 0);
    return encodeRegionFrame(
      {
        seq: this._seq,
        captureMs,
        ...rect,
        screenW: this.width,
        screenH: this.height,
        encoding: lossless ? FrameEncoding.PNG : FrameEncoding.JPEG,
        flags,
      },
      await blob.arrayBuffer(),
    );
  }

  // ---------- lossless refresh (suite/screen/refresh.py, simplified) ----------

  _cells(rect, whole) {
    const cols = Math.ceil(this.width / TILE_PX);
    const round = whole ? Math.ceil : Math.floor;
    const last = (end, size) => (end >= size ? Math.ceil(size / TILE_PX) : whole ? Math.floor(end / TILE_PX) : Math.ceil(end / TILE_PX));
    const out = [];
    for (let row = round(rect.y / TILE_PX); row < last(rect.y + rect.h, this.height); row += 1) {
      for (let col = round(rect.x / TILE_PX); col < last(rect.x + rect.w, this.width); col += 1) {
        out.push(row * cols + col);
      }
    }
    return out;
  }

  _noteSent(rect, lossless) {
    for (const cell of this._cells(rect, lossless)) {
      this._lossy[cell] = lossless ? 0 : 1;
    }
  }

  _refreshDue(nowMs) {
    const cols = Math.ceil(this.width / TILE_PX);
    const rows = Math.ceil(this.height / TILE_PX);
    const ready = new Uint8Array(this._lossy.length);
    let any = false;
    this._lossy.forEach((lossy, cell) => {
      if (lossy && nowMs - this._changedMs[cell] >= STILL_MS) {
        ready[cell] = 1;
        any = true;
      }
    });
    if (!any) return [];
    const chosen = [];
    let spent = 0;
    for (const run of tileRuns({ rows, cols, dirty: ready })) {
      const x = run.x * TILE_PX;
      const y = run.y * TILE_PX;
      const w = Math.min(this.width, x + run.w * TILE_PX) - x;
      let h = Math.min(this.height, y + run.h * TILE_PX) - y;
      const rowsLeft = Math.max(1, Math.floor((REFRESH_BUDGET_PX - spent) / (w * TILE_PX)));
      h = Math.min(h, rowsLeft * TILE_PX);
      chosen.push({ x, y, w, h });
      spent += w * h;
      if (spent >= REFRESH_BUDGET_PX) break;
    }
    return chosen;
  }
}
