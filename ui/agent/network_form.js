// Settings › Network and the first run (A7), pure logic: the form's values to the app's
// /local/network body and back, the checks before sending, and which message explains a
// failed connection (the app's `cause`, suite/net/policy.py CAUSES). No DOM here.

export const PROXY_MODES = ["none", "system", "manual", "pac"];
export const CAUSES = [
  "dns", "refused", "timeout", "closed", "proxy_unreachable", "proxy_auth", "proxy_refused",
  "pac_failed", "untrusted", "hostname", "handshake", "ca_file",
]; // prettier-ignore

/**
 * The form's fields from the app's settings (`GET /local/network`).
 * @param {{relay_url: string, verify_tls: boolean, network: object}} settings
 */
export function formValues(settings) {
  const values = { host: "", port: "", ssl: true, caFile: "", mode: "system",
    proxyHost: "", proxyPort: "", proxyUser: "", pacUrl: "" }; // prettier-ignore
  const url = parseUrl(settings.relay_url);
  if (url) {
    values.ssl = url.protocol === "https:";
    values.host = url.hostname.replace(/^\[|\]$/g, "") + url.pathname.replace(/\/$/, "");
    values.port = url.port;
  }
  const network = settings.network ?? {};
  const proxy = network.proxy ?? {};
  values.caFile = network.ca_file ?? "";
  values.mode = PROXY_MODES.includes(proxy.mode) ? proxy.mode : "system";
  values.proxyHost = proxy.host ?? "";
  values.proxyPort = proxy.port ? String(proxy.port) : "";
  values.proxyUser = proxy.username ?? "";
  values.pacUrl = proxy.pac_url ?? "";
  return values;
}

function parseUrl(text) {
  if (!text) {
    return null;
  }
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function validPort(text, required) {
  if (text === "") {
    return !required;
  }
  if (!/^\d{1,5}$/.test(text)) {
    return false;
  }
  const port = Number(text);
  return port >= 1 && port <= 65535;
}

/**
 * What is wrong with the form, as an i18n key and the field to focus, or null.
 * @param {ReturnType<typeof formValues> & {sslOffConfirmed?: boolean}} values
 */
export function formProblem(values) {
  const host = values.host.trim();
  if (!host || /\s|:\/\/|[?#]/.test(host)) {
    return { key: "net.invalid_host", field: "host" };
  }
  if (!validPort(values.port.trim(), false)) {
    return { key: "net.invalid_port", field: "port" };
  }
  if (!values.ssl && !values.sslOffConfirmed) {
    return { key: "net.confirm_needed", field: "ssl-confirm" };
  }
  if (values.caFile.trim() && !values.caFile.trim().startsWith("/") && !/^[A-Za-z]:\\/.test(values.caFile.trim())) {
    return { key: "net.invalid_ca_file", field: "ca-file" };
  }
  if (values.mode === "manual") {
    if (!values.proxyHost.trim() || /\s|\//.test(values.proxyHost.trim())) {
      return { key: "net.invalid_proxy", field: "proxy-host" };
    }
    if (!validPort(values.proxyPort.trim(), true)) {
      return { key: "net.invalid_proxy_port", field: "proxy-port" };
    }
  }
  if (values.mode === "pac" && values.pacUrl.trim() && !/^(https?|file):\/\//.test(values.pacUrl.trim())) {
    return { key: "net.invalid_pac", field: "pac-url" };
  }
  return null;
}

/**
 * The body of PUT /local/network and POST /local/network/test. The password goes only when
 * typed (an empty field keeps the saved one); `clearPassword` removes it.
 */
export function requestBody(values, { password = "", clearPassword = false } = {}) {
  const host = values.host.trim();
  const [name, ...path] = host.split("/");
  const hostPart = name.includes(":") && !name.startsWith("[") ? `[${name}]` : name;
  const port = values.port.trim();
  const suffix = path.length ? `/${path.join("/")}` : "";
  const relayUrl = `${values.ssl ? "https" : "http"}://${hostPart}${port ? `:${port}` : ""}${suffix}`;
  const proxy = { mode: values.mode };
  if (values.mode === "manual") {
    proxy.host = values.proxyHost.trim();
    proxy.port = Number(values.proxyPort.trim());
    proxy.username = values.proxyUser.trim();
  } else if (values.mode === "pac") {
    proxy.pac_url = values.pacUrl.trim();
    proxy.username = values.proxyUser.trim();
  }
  const body = { relay_url: relayUrl, network: { ca_file: values.caFile.trim(), proxy } };
  if (password) {
    body.proxy_password = password;
  } else if (clearPassword) {
    body.proxy_password = "";
  }
  return body;
}

/** The i18n key that explains a failed connection test (null: show the error as it is). */
export function causeKey(error) {
  const cause = error?.networkCause;
  return CAUSES.includes(cause) ? `net.cause.${cause}` : null;
}
