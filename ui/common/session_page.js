// What the agent's support and the customer's chat do alike around their session socket: the
// connection badge, and the state the e2e tests read through window.__rsTest.state().

/**
 * Show a socket status ("connecting", "online", "offline", "closed") on the badge.
 * @param {HTMLElement} badge
 * @param {string} status
 * @param {{bind: (el: HTMLElement, key: string) => void}} i18n
 */
export function showConnectionStatus(badge, status, i18n) {
  badge.dataset.status = status;
  i18n.bind(badge, `status.${status}`);
}

/**
 * The socket's and the chat's part of a page's test state.
 * @param {{status: string, lastSeenId: number}|null} socket
 * @param {{snapshot: () => object}|null} chatView
 */
export function sessionTestState(socket, chatView) {
  return {
    status: socket?.status ?? "closed",
    lastSeenId: socket?.lastSeenId ?? 0,
    ...(chatView?.snapshot() ?? {}),
  };
}
