// Knocking (the agent lets the customer in): the answer is long-polled from the relay
// (GET /api/knocks/<secret>?wait_s=…) until the agent admits or refuses, the knock expires,
// or the customer withdraws it. A reload keeps waiting (the knock is kept in sessionStorage).

import { ApiError, requestJson } from "../common/http.js";
import { loadJson, saveJson } from "../common/storage.js";

const KNOCK_STORAGE_KEY = "rs.customer.knock";
const KNOCK_POLL_WAIT_S = 20; // the relay answers at once when the agent does
const KNOCK_RETRY_MS = 2000; // after a failed poll (network); the knock itself lives 5 min

/** The knock a reload should keep waiting for, or null. */
export function storedKnock() {
  const knock = loadJson(window.sessionStorage, KNOCK_STORAGE_KEY);
  return knock?.secret ? knock : null;
}

/** What a finished knock's answer means: the seat, or why not (an i18n key or undefined). */
export function knockOutcome(answer) {
  const state = answer.knock?.state;
  if (state === "admitted") {
    return { admitted: true };
  }
  if (state === "refused") {
    const reason = answer.knock.reason;
    return { errorKey: reason === "agent" ? "knock.refused" : `knock.${reason}` };
  }
  if (state === "expired") {
    return { errorKey: "knock.expired" };
  }
  if (state === "withdrawn") {
    return { errorKey: undefined };
  }
  return null; // still waiting
}

export class KnockWait {
  /**
   * @param {object} options
   * @param {(answer: object) => void} options.onAdmitted the relay's answer with the seat
   * @param {(errorKey?: string) => void} options.onEnded back to the form, saying why
   */
  constructor({ onAdmitted, onEnded }) {
    Object.assign(this, { onAdmitted, onEnded });
    this.knock = null; // {secret, via, agent} while asking the agent to let us in
  }

  /** Wait for the agent's answer to `knock`. */
  start(knock) {
    this.knock = knock;
    saveJson(window.sessionStorage, KNOCK_STORAGE_KEY, knock);
    this._poll(knock);
  }

  /** Stop waiting (nothing is said to the relay). */
  forget() {
    this.knock = null;
    saveJson(window.sessionStorage, KNOCK_STORAGE_KEY, null);
  }

  /** The customer withdrew: back to the form, and the relay is told. */
  async cancel() {
    const knock = this.knock;
    this._end();
    if (knock) {
      try {
        await requestJson("DELETE", `/api/knocks/${encodeURIComponent(knock.secret)}`);
      } catch (error) {
        console.warn("withdrawing the knock failed:", error.message); // it expires by itself
      }
    }
  }

  _end(errorKey) {
    this.forget();
    this.onEnded(errorKey);
  }

  async _poll(knock) {
    while (this.knock === knock) {
      let answer;
      try {
        answer = await requestJson(
          "GET",
          `/api/knocks/${encodeURIComponent(knock.secret)}?wait_s=${KNOCK_POLL_WAIT_S}`,
        );
      } catch (error) {
        if (this.knock !== knock) {
          return;
        }
        if (error instanceof ApiError && error.code === "knock_not_found") {
          this._end("knock.lost");
          return;
        }
        console.warn("asking for the knock's answer failed:", error.message);
        await new Promise((resolve) => setTimeout(resolve, KNOCK_RETRY_MS));
        continue;
      }
      if (this.knock !== knock) {
        return;
      }
      const outcome = knockOutcome(answer);
      if (outcome?.admitted) {
        this.forget();
        this.onAdmitted({ ...answer, agent: answer.agent ?? knock.agent });
        return;
      }
      if (outcome) {
        this._end(outcome.errorKey);
        return;
      }
    }
  }
}
