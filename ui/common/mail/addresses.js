// E-mail address checks before anything is sent (pure): the same rules as the relay's
// relay_server/mail/addresses.py, so a typo is marked at its field; the relay checks again.

export const MAX_RECIPIENTS = 200;
const MAX_ADDRESS_CHARS = 254;
const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// A domain label; international domains are accepted here and IDNA-encoded by the relay.
const LABEL_RE = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f]/;

/**
 * Why `address` cannot be mailed, as a string key of mail_strings, or null when it can.
 * @param {string} address already trimmed
 * @returns {"mail.address_empty"|"mail.address_bad"|null}
 */
export function addressProblem(address) {
  if (!address) {
    return "mail.address_empty";
  }
  if (CONTROL_RE.test(address) || address.length > MAX_ADDRESS_CHARS) {
    return "mail.address_bad";
  }
  const parts = address.split("@");
  if (parts.length !== 2) {
    return "mail.address_bad";
  }
  const [local, domain] = parts;
  if (!local || local.length > 64 || !LOCAL_RE.test(local)) {
    return "mail.address_bad";
  }
  const labels = domain.split(".");
  if (labels.length < 2 || !labels.every((label) => LABEL_RE.test(label))) {
    return "mail.address_bad";
  }
  return null;
}

/**
 * Check a list of addresses: a problem key per index (empty map: all good).
 * @param {string[]} addresses
 * @returns {Map<number, string>}
 */
export function recipientProblems(addresses) {
  const problems = new Map();
  const seen = new Set();
  addresses.forEach((raw, index) => {
    const address = raw.trim();
    const problem = addressProblem(address);
    if (problem) {
      problems.set(index, problem);
    } else if (seen.has(address.toLowerCase())) {
      problems.set(index, "mail.address_twice");
    } else {
      seen.add(address.toLowerCase());
    }
  });
  return problems;
}
