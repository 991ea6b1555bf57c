// The agent's card above the customer's chat: name, photo, title and company, and the phone
// and e-mail as tel: / mailto: links (profile text, never markup). The end screen repeats the
// company and the links, so a customer can still reach the agent after the chat.

import { byId, element, setAvatar } from "../common/dom.js";

/**
 * @param {{name?: string, photo_url?: string, title?: string, company?: string,
 *   phone?: string, email?: string}} agent
 * @param {{t: (key: string) => string}} i18n
 */
export function renderAgentCard(agent, i18n) {
  const name = agent.name || i18n.t("customer.agent_unknown");
  byId("agent-name").textContent = name;
  const avatar = byId("agent-avatar");
  const shown = JSON.stringify([name, agent.photo_url ?? ""]);
  if (avatar.dataset.shown !== shown) {
    avatar.dataset.shown = shown; // redraw only on a change: no flicker on every update
    setAvatar(avatar, name, agent.photo_url); // photo_url is relative to the relay: this origin
  }
  byId("agent-role").textContent = [agent.title, agent.company].filter(Boolean).join(" · ");
  renderContact(agent);
}

/** A dialable tel: link for a phone number as typed, and a mailto: link, or null. */
export function contactHrefs({ phone, email }) {
  const tel = typeof phone === "string" && phone.trim() ? `tel:${phone.replace(/[^0-9+]/g, "")}` : null;
  const mail = typeof email === "string" && /^[^\s@<>"]+@[^\s@<>"]+$/.test(email)
    ? `mailto:${encodeURIComponent(email).replace("%40", "@")}`
    : null;
  return { tel, mail };
}

/** The end screen's lines: "title · company" and the phone and e-mail links, as the header. */
export function endContact(agent) {
  const nodes = [];
  const role = [agent.title, agent.company].filter(Boolean).join(" · ");
  if (role) {
    nodes.push(element("p", "rs-end__agent-role", { "data-testid": "end-agent-role" }, role));
  }
  const links = contactLinks(agent, "end");
  if (links.length > 0) {
    const box = element("p", "cust-chat__contact rs-end__contact", { "data-testid": "end-contact" });
    box.append(...links);
    nodes.push(box);
  }
  return nodes;
}

function contactLinks(agent, prefix) {
  const { tel, mail } = contactHrefs(agent);
  const links = [];
  if (tel) {
    links.push(element("a", "cust-chat__contact-link", { href: tel, "data-testid": `${prefix}-phone` }, agent.phone));
  }
  if (mail) {
    links.push(element("a", "cust-chat__contact-link", { href: mail, "data-testid": `${prefix}-email` }, agent.email));
  }
  return links;
}

function renderContact(agent) {
  const links = contactLinks(agent, "agent");
  const box = byId("agent-contact");
  box.replaceChildren(...links);
  box.hidden = links.length === 0;
}
