// The signed-in agent's name and photo in the toolbar and on the home panel.

import { byId, setAvatar } from "../common/dom.js";

/**
 * @param {{name?: string, username: string, photo_url?: string}|null|undefined} agent
 * @param {(url: string) => Promise<string>} photoSrc the photo as the window can load it
 */
export async function renderAgentBadge(agent, photoSrc) {
  byId("agent-me").hidden = !agent;
  if (!agent) {
    return;
  }
  const name = agent.name || agent.username;
  byId("agent-me-name").textContent = name;
  const src = agent.photo_url ? await photoSrc(agent.photo_url).catch(() => "") : "";
  for (const id of ["agent-me-avatar", "home-avatar"]) {
    const avatar = byId(id);
    const shown = JSON.stringify([name, src]);
    if (avatar.dataset.shown !== shown) {
      avatar.dataset.shown = shown;
      setAvatar(avatar, name, src);
    }
  }
}
