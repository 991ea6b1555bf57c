// JSON over HTTP to the relay (same origin). Every failure becomes an ApiError whose `code` is
// the relay's error code, "relay_unreachable" when the relay cannot be reached, or
// "server_error" when it answers with something that is not our JSON error.

import { leaseHintOfError, wrongNodeDelayMs } from "./protocol.js";

/** A failed API call; `code` keys the message shown to people (see i18n "error.<code>"). */
export class ApiError extends Error {
  /**
   * @param {string} code e.g. "invalid_code", "throttled", "relay_unreachable"
   * @param {string} message the relay's English explanation, for logs
   * @param {object} [details]
   * @param {number} [details.status] HTTP status, 0 when the relay was not reached
   * @param {number|null} [details.retryAfterS] seconds to wait before trying again
   * @param {number|null} [details.triesLeft] wrong passwords left before a sign-in lock
   * @param {string|null} [details.url] an address to suggest (the agent app's relay_uses_http)
   * @param {string|null} [details.networkCause] why the agent app could not reach the relay
   *   (A7: "dns", "proxy_auth", "untrusted", ...; suite/net/policy.py CAUSES)
   * @param {string|null} [details.networkReason] its low-level reason ("self-signed certificate")
   * @param {string|null} [details.sessionId] wrong_node: the session whose node to ask
   * @param {number|null} [details.leaseLeftMs] wrong_node: ms the owner's lease has left
   */
  constructor(code, message, { status = 0, retryAfterS = null, triesLeft = null, url = null, networkCause = null, networkReason = null, sessionId = null, leaseLeftMs = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.retryAfterS = retryAfterS;
    this.triesLeft = triesLeft;
    this.url = url;
    this.networkCause = networkCause;
    this.networkReason = networkReason;
    this.sessionId = sessionId;
    this.leaseLeftMs = leaseLeftMs;
  }
}

function retryAfterFrom(response, error) {
  if (typeof error?.retry_after_s === "number") {
    return error.retry_after_s;
  }
  const header = Number.parseFloat(response.headers.get("Retry-After") ?? "");
  return Number.isFinite(header) ? header : null;
}

/**
 * Call the relay's HTTP API (or the desktop app's local API, which answers the same way).
 * @param {string} method "GET", "POST", ...
 * @param {string} path e.g. "/api/join"
 * @param {object} [options]
 * @param {object} [options.body] sent as JSON
 * @param {Blob} [options.blob] sent as is (e.g. a photo's bytes), with the blob's type
 * @param {string} [options.token] bearer token
 * @param {Object<string, string>} [options.headers] more request headers
 * @param {boolean} [options.asBlob] return the answer's bytes as a Blob (e.g. an image)
 * @returns {Promise<object|Blob|null>} the parsed body (or Blob), or null for 204
 * @throws {ApiError}
 */
export async function requestJson(method, path, options = {}) {
  for (let tries = 1; ; tries += 1) {
    try {
      return await requestOnce(method, path, options);
    } catch (error) {
      // Several relay nodes: the session lives on another node. Nothing was changed; ask
      // again through the balancer with the session's id, which routes there
      // (docs/protocol.md, "The session's owner").
      if (!(error instanceof ApiError) || error.code !== "wrong_node" || !error.sessionId
          || tries >= WRONG_NODE_TRIES) {
        throw error;
      }
      path = withSessionHint(path, error.sessionId);
      // From the second answer on, when the owner's lease ends (a dead owner's sessions come
      // free then; a live one answers with its renewed lease): protocol.js wrongNodeDelayMs.
      const pauseMs = wrongNodeDelayMs(error.leaseLeftMs, tries - 1, WRONG_NODE_PAUSE_MS * tries,
                                       Math.random());
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

const WRONG_NODE_TRIES = 8;
const WRONG_NODE_PAUSE_MS = 150;

/** ``path`` with ``?session=<id>`` (the balancer's affinity key), unless it has one. */
export function withSessionHint(path, sessionId) {
  if (/[?&]session=/.test(path)) {
    return path;
  }
  return `${path}${path.includes("?") ? "&" : "?"}session=${encodeURIComponent(sessionId)}`;
}

async function requestOnce(method, path, { body, blob, token, headers = {}, asBlob } = {}) {
  const sent = { Accept: asBlob ? "*/*" : "application/json", ...headers };
  if (body !== undefined) {
    sent["Content-Type"] = "application/json";
  } else if (blob !== undefined) {
    sent["Content-Type"] = blob.type || "application/octet-stream";
  }
  if (token) {
    sent.Authorization = `Bearer ${token}`;
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? blob : JSON.stringify(body),
      cache: "no-store",
      credentials: "same-origin",
    });
  } catch (error) {
    throw new ApiError("relay_unreachable", `cannot reach the relay: ${error.message}`);
  }
  if (response.status === 204) {
    return null;
  }
  if (asBlob && response.ok) {
    return response.blob();
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null; // an HTML error page from a proxy, or an empty body
  }
  if (response.ok && payload !== null) {
    return payload;
  }
  const error = payload?.error;
  if (error && typeof error.code === "string") {
    throw new ApiError(error.code, error.message ?? error.code, {
      status: response.status,
      retryAfterS: retryAfterFrom(response, error),
      triesLeft: typeof error.tries_left === "number" ? error.tries_left : null,
      url: typeof error.url === "string" ? error.url : null,
      networkCause: typeof error.cause === "string" ? error.cause : null,
      networkReason: typeof error.reason === "string" ? error.reason : null,
      sessionId: typeof error.session_id === "string" ? error.session_id : null,
      leaseLeftMs: leaseHintOfError(error),
    });
  }
  if (response.status === 502 || response.status === 503 || response.status === 504) {
    throw new ApiError("relay_unreachable", `relay answered ${response.status}`, {
      status: response.status,
    });
  }
  throw new ApiError("server_error", `unexpected answer ${response.status}`, {
    status: response.status,
  });
}
