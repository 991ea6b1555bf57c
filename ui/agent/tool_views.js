// The home toolbar's History (A10) and Reservations (A11) views: each built on first use and
// searched or loaded again on every visit.

import { byId } from "../common/dom.js";
import { i18n } from "../common/i18n.js";
import { HistoryView } from "../common/history/history_view.js";
import { ReservationsView } from "./reservations_view.js";

export class ToolViews {
  /**
   * @param {object} options
   * @param {object} options.backend saveExport(), uploadBytes(), recordings?, openRecording()
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.api
   * @param {() => string|undefined} options.token this sign-in's bearer token
   * @param {(support: object) => void} options.onOpened a reservation was opened as a support
   * @param {(error: Error) => boolean} options.onAuthError
   */
  constructor({ backend, api, token, onOpened, onAuthError }) {
    Object.assign(this, { backend, api, token, onOpened, onAuthError });
    this.history = null;
    this.reservations = null;
  }

  /** A10: the agent's past sessions. */
  showHistory() {
    if (!this.history) {
      const backend = this.backend;
      this.history = new HistoryView({
        root: byId("history-panel"),
        i18n,
        api: this.api,
        download: (path) => backend.saveExport(path, this.token()),
        onAuthError: this.onAuthError,
        // P9: the desktop app lists this PC's recordings of the session (never the relay's).
        localRecordings: backend.recordings
          ? {
              list: async (sessionId) => (await backend.recordings(sessionId)).recordings,
              open: (name) => backend.openRecording(name),
            }
          : null,
      });
    }
    this.history.search(this.history.page);
  }

  /** A11: the agent's reservations. */
  showReservations() {
    if (!this.reservations) {
      this.reservations = new ReservationsView({
        root: byId("reservations-panel"),
        i18n,
        api: this.api,
        upload: (path, file, onProgress) =>
          this.backend.uploadBytes(path, file, { token: this.token(), onProgress }),
        onOpened: this.onOpened,
        onAuthError: this.onAuthError,
      });
    }
    this.reservations.refresh();
  }
}
