// Send one file to the other participant through the relay (P4, docs/protocol.md "Files").
//
// The file is never read whole: it is hashed slice by slice (incremental SHA-256), offered,
// then uploaded in chunks, each a Blob slice the browser streams from disk. After a broken
// connection the uploader asks the relay how much arrived and goes on from there.

import { ApiError } from "../http.js";
import { Sha256 } from "./sha256.js";

export const CHUNK_BYTES = 4 * 1024 * 1024;
const HASH_SLICE_BYTES = 4 * 1024 * 1024;
const MAX_RETRIES = 8;
const RETRY_DELAY_MS = 400;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class FileUploader {
  /**
   * @param {object} options
   * @param {(method: string, path: string, options?: object) => Promise<object>} options.request
   *   requestJson-like, already carrying the caller's Authorization
   * @param {string} options.sessionId
   */
  constructor({ request, sessionId }) {
    this.request = request;
    this.sessionId = sessionId;
  }

  /**
   * Offer and upload `file`.
   * @param {File} file
   * @param {object} [hooks]
   * @param {(phase: "checking"|"hashing"|"uploading", done: number, size: number) => void} [hooks.onProgress]
   * @param {(transfer: object) => void} [hooks.onOffered] the relay accepted the offer
   * @param {() => boolean} [hooks.cancelled] true once the person cancelled
   * @returns {Promise<object>} the transfer when every byte is at the relay
   * @throws {ApiError} a refusal (file_too_large, file_type_not_allowed, ...) or a lost relay
   */
  async send(file, { onProgress = () => {}, onOffered = () => {}, cancelled = () => false } = {}) {
    const path = `/api/sessions/${encodeURIComponent(this.sessionId)}/files`;
    const type = file.type || "application/octet-stream";
    onProgress("checking", 0, file.size);
    // Ask first: an oversized or disallowed file is refused before it is even hashed.
    await this.request("POST", path, { body: { name: file.name, size: file.size, type, check: true } });
    const hasher = new Sha256();
    for (let offset = 0; offset < file.size; offset += HASH_SLICE_BYTES) {
      if (cancelled()) {
        throw new ApiError("transfer_cancelled", "cancelled before the upload");
      }
      const slice = file.slice(offset, Math.min(file.size, offset + HASH_SLICE_BYTES));
      hasher.update(new Uint8Array(await slice.arrayBuffer()));
      onProgress("hashing", Math.min(file.size, offset + HASH_SLICE_BYTES), file.size);
    }
    const sha256 = hasher.hex();
    const { transfer } = await this.request("POST", path, {
      body: { name: file.name, size: file.size, type, sha256 },
    });
    onOffered(transfer);
    return this.upload(transfer, file, { onProgress, cancelled });
  }

  /** Upload the bytes of an offered transfer, from where the relay's copy ends. */
  async upload(transfer, file, { onProgress = () => {}, cancelled = () => false } = {}) {
    let current = transfer;
    let failures = 0;
    const content = `/api/files/${encodeURIComponent(transfer.id)}/content`;
    while (current.uploaded < file.size || current.state === "offered") {
      if (cancelled()) {
        throw new ApiError("transfer_cancelled", "cancelled");
      }
      const offset = current.uploaded;
      const end = Math.min(file.size, offset + CHUNK_BYTES);
      try {
        ({ transfer: current } = await this.request("PUT", `${content}?offset=${offset}`, {
          blob: file.slice(offset, end, "application/octet-stream"),
        }));
        failures = 0;
      } catch (error) {
        const retry = ["relay_unreachable", "bad_offset", "upload_busy", "server_error"];
        if (!(error instanceof ApiError) || !retry.includes(error.code) || failures >= MAX_RETRIES) {
          throw error;
        }
        failures += 1;
        await sleep(RETRY_DELAY_MS * failures);
        current = await this._status(transfer.id, failures);
      }
      onProgress("uploading", current.uploaded, file.size);
      if (file.size === 0) {
        break;
      }
    }
    return current;
  }

  async _status(id, failures) {
    for (let attempt = failures; ; attempt += 1) {
      try {
        return (await this.request("GET", `/api/files/${encodeURIComponent(id)}`)).transfer;
      } catch (error) {
        if (!(error instanceof ApiError) || error.code !== "relay_unreachable" || attempt >= MAX_RETRIES) {
          throw error;
        }
        await sleep(RETRY_DELAY_MS * attempt);
      }
    }
  }
}
