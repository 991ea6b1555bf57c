// The first run (A7; the guide's install steps): when the desktop app has no relay yet, ask
// for its address and the proxy, check the connection, then show the login form. A
// provisioning file (remotesales-agent.json beside the app or in /etc/remotesales/, see
// docs/deployment.md) prefills the questions so an administrator can hand out a preconfigured
// installer; the person still checks and confirms.

import { byId } from "../common/dom.js";
import { NetworkSettings } from "./network_settings.js";

export class FirstRun {
  /**
   * @param {object} options
   * @param {import("../common/i18n.js").i18n} options.i18n
   * @param {object} options.backend the desktop backend (firstRun, networkSettings, ...)
   * @param {() => void} options.onDone the relay is set and answers: go on to the login
   */
  constructor({ i18n, backend, onDone }) {
    Object.assign(this, { i18n, backend });
    this.form = new NetworkSettings(byId("firstrun-card"), { i18n, backend, mode: "first_run", onDone });
  }

  /** Whether the first-run questions are needed (no relay configured yet). */
  static async needed(backend) {
    if (!backend.firstRun) {
      return null;
    }
    try {
      const answer = await backend.firstRun();
      return answer.needed ? answer : null;
    } catch {
      return null; // an older app: go straight to the login form
    }
  }

  /** Fill the questions from the stored settings with the provisioning file's over them. */
  async show(answer) {
    const current = await this.backend.networkSettings();
    await this.form.load({ ...current, ...answer.settings });
    const note = byId("firstrun-provisioned");
    if (answer.path) {
      this.i18n.bind(note, "firstrun.provisioned", { path: answer.path });
    } else if (answer.error) {
      this.i18n.bind(note, "firstrun.provisioning_error", { message: answer.error });
    }
    note.hidden = !answer.path && !answer.error;
    this.form.host.focus();
  }
}
