// The video picture's own layer, laid over the region of the screen canvas it covers and
// scaled there by CSS, so the compositor scales it on its way to the screen. Drawing each
// decoded VideoFrame scaled into the 1920×1080 screen canvas instead makes Chromium convert it
// to RGB and scale it in software, then hand the compositor the whole 1080p canvas anew.
// Measured with scripts/stream_bench/viewer_cpu.py (docs/performance.md), ms of Chromium's CPU
// per 720p frame of a 1080p screen shown at 1920x1080 (loaded machine): 18.7-21.7 drawn scaled
// into the canvas, 11.7-13.4 through a MediaStreamTrackGenerator into a <video> element
// (TrackVideoLayer: the compositor converts and scales the YUV picture in one pass). A canvas
// at the coded size (CanvasVideoLayer) measured 16.9-26.3: no clear gain, so an engine without
// MediaStreamTrackGenerator (it is Chromium's; WebKitGTK, Firefox) draws into the screen canvas
// as before, and CanvasVideoLayer is there only when asked for (benchmarks, tests).
//
// The screen canvas stays the picture of record: whatever is painted into it where the layer is
// (a region frame on top of the video, the lossless refresh once motion stops, a video frame
// drawn unscaled) first *flattens* the layer (its last picture drawn into the screen canvas at
// its place, scaled as the canvas path does, then the layer hidden), so what shows is always what
// painting every frame into the one canvas in arrival order would show.

/**
 * The layer for `screen`: TrackVideoLayer where the engine has MediaStreamTrackGenerator, else
 * none (null) unless a CanvasVideoLayer is asked for.
 * @param {HTMLCanvasElement} screen the screen canvas; its parent must be a positioned box of
 *   the same size (the layer is placed in percentages of it)
 * @param {{kind?: string}} [options] kind "canvas" asks for a CanvasVideoLayer (benchmarks,
 *   tests)
 */
export function createVideoLayer(screen, { kind } = {}) {
  const hasTrack = typeof globalThis.MediaStreamTrackGenerator === "function";
  if (kind === "canvas") {
    return new CanvasVideoLayer(screen);
  }
  if (hasTrack) {
    try {
      return new TrackVideoLayer(screen);
    } catch (error) {
      console.warn("no video track layer:", error);
    }
  }
  return null;
}

function placeOver(element, screen, { x, y, w, h }) {
  Object.assign(element.style, {
    left: `${(x / screen.width) * 100}%`,
    top: `${(y / screen.height) * 100}%`,
    width: `${(w / screen.width) * 100}%`,
    height: `${(h / screen.height) * 100}%`,
  });
}

function layerElement(tag, screen) {
  const element = document.createElement(tag);
  element.className = "rs-video-layer";
  element.setAttribute("aria-hidden", "true");
  Object.assign(element.style, {
    position: "absolute",
    display: "none",
    pointerEvents: "none",
    margin: "0",
  });
  screen.insertAdjacentElement("afterend", element);
  return element;
}

function sameRect(a, b) {
  return a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;
}

/** A region x, y, w × h overlaps `rect` (null: nothing shown). */
function overlapping(rect, x, y, w, h) {
  return rect !== null && x < rect.x + rect.w && rect.x < x + w && y < rect.y + rect.h && rect.y < y + h;
}

/**
 * VideoFrames written to a MediaStreamTrackGenerator shown by a <video> element: no RGB copy in
 * the page at all. The last picture is kept (a clone) for flattening and reading back.
 */
export class TrackVideoLayer {
  constructor(screen) {
    this.kind = "track";
    this.screen = screen;
    this.generator = new globalThis.MediaStreamTrackGenerator({ kind: "video" });
    this.writer = this.generator.writable.getWriter();
    this.element = layerElement("video", screen);
    this.element.muted = true;
    this.element.playsInline = true;
    this.element.disablePictureInPicture = true;
    this.element.style.objectFit = "fill";
    this.element.srcObject = new MediaStream([this.generator]);
    this.rect = null; // {x, y, w, h} in screen pixels while shown
    this.last = null; // the VideoFrame shown last (a clone), while shown
  }

  get shown() {
    return this.rect !== null;
  }

  /**
   * Show `picture` (a VideoFrame; the caller still closes its own) over the screen's region.
   * @param {CanvasRenderingContext2D} screenContext flattened into first if the region moved
   */
  show(picture, rect, screenContext) {
    if (this.rect !== null && !sameRect(this.rect, rect)) {
      this.flatten(screenContext);
    }
    this.last?.close();
    this.last = picture.clone();
    this.writer.write(picture.clone()).catch(() => {}); // the track closes the frame it takes
    if (this.rect === null) {
      this.rect = { x: rect.x, y: rect.y, w: rect.w, h: rect.h };
      placeOver(this.element, this.screen, rect);
      const element = this.element;
      // Shown once this picture is on screen: until then the element may still hold the
      // picture of an earlier stream, and the screen canvas under it is right.
      element.style.visibility = "hidden";
      element.style.display = "block";
      const reveal = () => {
        if (this.rect !== null) {
          element.style.visibility = "visible";
        }
      };
      if (typeof element.requestVideoFrameCallback === "function") {
        element.requestVideoFrameCallback(reveal);
      } else {
        setTimeout(reveal, 50);
      }
      element.play().catch(() => {});
    }
  }

  overlaps(x, y, w, h) {
    return overlapping(this.rect, x, y, w, h);
  }

  flatten(screenContext) {
    if (this.rect !== null && this.last !== null) {
      screenContext.drawImage(this.last, this.rect.x, this.rect.y, this.rect.w, this.rect.h);
    }
    this.hide();
  }

  hide() {
    this.rect = null;
    this.last?.close();
    this.last = null;
    this.element.style.display = "none";
  }

  drawOnto(context, x0 = 0, y0 = 0) {
    if (this.rect !== null && this.last !== null) {
      context.drawImage(this.last, this.rect.x - x0, this.rect.y - y0, this.rect.w, this.rect.h);
    }
  }

  remove() {
    this.hide();
    this.writer.close().catch(() => {});
    this.element.remove();
  }
}

/** A canvas at the picture's coded size: one RGB conversion at that size, no scaling. */
export class CanvasVideoLayer {
  constructor(screen) {
    this.kind = "canvas";
    this.screen = screen;
    this.canvas = layerElement("canvas", screen);
    // alpha: false: opaque video pixels, the compositor need not blend them.
    this.context = this.canvas.getContext("2d", { alpha: false });
    this.rect = null;
  }

  get shown() {
    return this.rect !== null;
  }

  show(picture, rect, screenContext) {
    if (this.rect !== null && !sameRect(this.rect, rect)) {
      this.flatten(screenContext);
    }
    const width = picture.displayWidth ?? picture.width;
    const height = picture.displayHeight ?? picture.height;
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.context.drawImage(picture, 0, 0);
    if (this.rect === null) {
      this.rect = { x: rect.x, y: rect.y, w: rect.w, h: rect.h };
      placeOver(this.canvas, this.screen, rect);
      this.canvas.style.display = "block";
    }
  }

  overlaps(x, y, w, h) {
    return overlapping(this.rect, x, y, w, h);
  }

  flatten(screenContext) {
    if (this.rect !== null) {
      screenContext.drawImage(this.canvas, this.rect.x, this.rect.y, this.rect.w, this.rect.h);
    }
    this.hide();
  }

  hide() {
    this.rect = null;
    this.canvas.style.display = "none";
  }

  drawOnto(context, x0 = 0, y0 = 0) {
    if (this.rect !== null) {
      context.drawImage(this.canvas, this.rect.x - x0, this.rect.y - y0, this.rect.w, this.rect.h);
    }
  }

  remove() {
    this.hide();
    this.canvas.remove();
  }
}
