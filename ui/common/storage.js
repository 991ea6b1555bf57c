// JSON in Web Storage that never throws: storage can be blocked (private windows, sandboxed
// frames, full quota), and then the page still works, only without remembering.

/**
 * Read a JSON value.
 * @param {Storage} store window.sessionStorage or window.localStorage
 * @param {string} key
 * @returns {*} the value, or null when absent, unreadable or blocked
 */
export function loadJson(store, key) {
  try {
    return JSON.parse(store.getItem(key) ?? "null");
  } catch {
    return null;
  }
}

/**
 * Write a JSON value; null removes the key.
 * @param {Storage} store
 * @param {string} key
 * @param {*} value
 */
export function saveJson(store, key, value) {
  try {
    if (value === null || value === undefined) {
      store.removeItem(key);
    } else {
      store.setItem(key, JSON.stringify(value));
    }
  } catch {
    // Blocked or full: nothing is remembered, and nothing else breaks.
  }
}
