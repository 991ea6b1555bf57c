// Send a file's bytes as one request body with upload progress (XMLHttpRequest: fetch has
// no upload progress). Answers and failures as requestJson's (ApiError with the relay's code).

import { ApiError } from "./http.js";

/**
 * @param {string} method "PUT", "POST"
 * @param {string} url
 * @param {Blob} blob streamed by the browser from disk
 * @param {object} [options]
 * @param {Object<string, string>} [options.headers]
 * @param {(done: number, size: number) => void} [options.onProgress]
 * @returns {Promise<object>} the JSON answer
 * @throws {ApiError}
 */
export function sendBytes(method, url, blob, { headers = {}, onProgress = () => {} } = {}) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(method, url);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("Accept", "application/json");
    for (const [name, value] of Object.entries(headers)) {
      request.setRequestHeader(name, value);
    }
    request.upload.addEventListener("progress", (event) => onProgress(event.loaded, blob.size));
    request.addEventListener("error", () => reject(new ApiError("relay_unreachable", "cannot reach the relay")));
    request.addEventListener("load", () => {
      let payload = null;
      try {
        payload = JSON.parse(request.responseText);
      } catch {
        payload = null;
      }
      if (request.status >= 200 && request.status < 300 && payload !== null) {
        onProgress(blob.size, blob.size);
        resolve(payload);
        return;
      }
      const error = payload?.error;
      const code = typeof error?.code === "string" ? error.code : "server_error";
      reject(new ApiError(code, error?.message ?? `unexpected answer ${request.status}`, { status: request.status }));
    });
    request.send(blob);
  });
}
