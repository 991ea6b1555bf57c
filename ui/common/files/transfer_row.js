// What one file's card shows (P4), from what is known of the transfer: describeTransferRow()
// is pure (no DOM, no strings), so the card (file_card.js) and the tests read the same answer.
// Also formatBytes(), the size in the unit people read, used wherever a file's size is shown.

export const FINISHED = new Set(["received", "cancelled", "failed", "unavailable"]);
// A transfer's states only move forward: a stale copy of it is ignored.
export const STATE_RANK = Object.freeze({ offered: 0, uploading: 1, ready: 2, received: 3, cancelled: 3, failed: 3 });

/** Bytes in the unit people read: 1.5 MB. */
export function formatBytes(bytes, locale = "en") {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toLocaleString(locale, { maximumFractionDigits: digits })} ${units[unit]}`;
}

function errorStatus(error) {
  return { statusKey: `error.${error?.code ?? "file_send_failed"}`, params: { message: error?.message ?? "" } };
}

/**
 * What one file card shows, from what is known of it. Pure: no DOM, no strings.
 * @param {{local?: object|null, transfer?: object|null, saving?: object|null,
 *   entry?: object|null, gone?: boolean}} row `local`: a file this side is still preparing
 *   ({name, size, phase, done, error?}); `transfer`: the relay's transfer; `saving`: the
 *   desktop program's saving of a received file; `entry`: the file of the transfer's chat
 *   entry ({id, name, size, type, sender}); `gone`: the relay's file list no longer has it
 *   (the session ended or the customer was removed)
 * @param {"agent"|"customer"} myRole
 * @param {{native?: boolean, browserDownload?: boolean, myId?: string|null}} [receiver] how
 *   this page receives files: through the viewer program (native) or with a browser download
 *   link; `myId` is this participant's id (a transfer's `sender_id` tells whose it is)
 * @returns {{name: string, size: number, mine: boolean, state: string, done: number,
 *   statusKey: string, params: object, actions: string[]}|null} null when there is nothing to
 *   show yet; `statusKey` is an i18n key (an `error.<code>` one may be unknown to the page);
 *   `actions` among "cancel", "withdraw" (one's own uploaded file), "save", "open_folder",
 *   "download"
 */
export function describeTransferRow(row, myRole, { native = false, browserDownload = false, myId = null } = {}) {
  const { local, transfer, saving, entry } = row;
  if (!local && !transfer && !entry) {
    return null; // saving news that came before the transfer itself: shown with it
  }
  const name = local?.name ?? transfer?.name ?? entry?.name ?? "";
  const size = local?.size ?? transfer?.size ?? entry?.size ?? 0;
  // Several customers share the role "customer": the sender's participant id tells which.
  const senderId = transfer?.sender_id ?? entry?.participant_id ?? null;
  const mine = local
    ? true
    : (transfer?.sender ?? entry?.sender) === myRole && (!myId || !senderId || senderId === myId);
  const percent = (value) => (size > 0 ? Math.floor((100 * value) / size) : 100);
  let state = local ? local.phase : (transfer?.state ?? (row.gone ? "unavailable" : "unknown"));
  if (row.gone && !FINISHED.has(state)) {
    state = "unavailable"; // the relay forgot it before it was done
  }
  let done = 0;
  let status = { statusKey: "", params: {} };
  if (local) {
    done = local.done;
    if (state === "failed") {
      status = errorStatus(local.error);
    } else if (state === "checking") {
      status = { statusKey: "files.state.checking", params: {} };
    } else {
      const key = state === "hashing" ? "files.state.hashing" : "files.state.uploading";
      status = { statusKey: key, params: { percent: percent(done) } };
    }
  } else if (state === "unavailable") {
    status = { statusKey: "files.state.unavailable", params: {} };
  } else if (!transfer) {
    // Known from the chat entry only: its state comes with the file list.
  } else if (saving?.error) {
    state = "failed";
    status = errorStatus(saving.error);
  } else if (saving?.saved) {
    state = "received";
    done = size;
    status = { statusKey: "files.state.saved", params: { name: saving.saved } };
  } else if (state === "offered" || state === "uploading") {
    done = transfer.uploaded ?? 0;
    status = { statusKey: `files.state.${state}`, params: { percent: percent(done) } };
  } else if (state === "ready") {
    done = mine ? size : (transfer.downloaded ?? 0);
    if (saving) {
      status = { statusKey: "files.state.saving", params: { percent: percent(done) } };
    } else if (done > 0 && !mine) {
      status = { statusKey: "files.state.downloading", params: { percent: percent(done) } };
    } else {
      status = { statusKey: mine ? "files.state.ready" : "files.state.ready_to_download", params: {} };
    }
  } else if (state === "received") {
    done = size;
    status = { statusKey: "files.state.received", params: {} };
  } else if (state === "cancelled") {
    // Cancelled by its sender once every byte was there: the offer was withdrawn.
    const withdrawn = transfer.cancelled_by === transfer.sender && (transfer.uploaded ?? 0) >= size;
    status = { statusKey: withdrawn ? "files.state.withdrawn" : "files.state.cancelled", params: {} };
  } else if (state === "failed") {
    status = { statusKey: "files.state.failed", params: { reason: transfer.error ?? "" } };
  }
  const actions = [];
  if (row.gone && !local) {
    return { name, size, mine, state, done, ...status, actions }; // nothing left to fetch
  }
  // A customer cancels only its own files (the relay refuses the others: 403 not_sender): the
  // agent's is there for every customer of the session; not downloading it is declining it.
  const othersFile = !mine && myRole === "customer";
  if (transfer && !local && !FINISHED.has(state) && !othersFile) {
    // One's own uploaded file is not being sent any more: pressing takes the offer back.
    actions.push(mine && state === "ready" ? "withdraw" : "cancel");
  }
  if (transfer && native && saving?.saved) {
    actions.push("open_folder");
  } else if (transfer && native && !saving && (state === "ready" || (mine && state === "received"))) {
    actions.push("save"); // the sender too: a copy of its own file
  } else if (transfer && !native && browserDownload && (state === "ready" || state === "received")) {
    actions.push("download"); // the sender too: both sides download while the session lives
  }
  return { name, size, mine, state, done, ...status, actions };
}
