"""WPAD discovery under test (A7): a private network where ``wpad.<domain>`` resolves.

WPAD by DNS asks for ``http://wpad.<the PC's domain>/wpad.dat`` on port 80. The machine's own
resolver and hostname are not the test's to change, so :func:`run_in_private_network` runs a
program in new network, mount and UTS namespaces (``unshare``, root only): its own loopback,
its own hostname ``pc.corp.example`` and its own ``/etc/hosts`` (bind-mounted over the real one
inside that mount namespace only) that sends ``wpad.corp.example`` to 127.0.0.1. The program
there (``python -m tests.support.wpad_network``) serves a PAC file on 127.0.0.1:80 and asks the
agent's real :class:`suite.net.connect.Connector` (pypac inside) which route each URL takes.
DHCP's WPAD option (252) is not tested: no DHCP server or client runs here.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

HOSTNAME = "pc.corp.example"
WPAD_HOST = "wpad.corp.example"
RELAY_HOST = "relay.corp.example"
PROXY = ("127.0.0.1", 3128)
PAC = f"""function FindProxyForURL(url, host) {{
  if (dnsDomainIs(host, "{RELAY_HOST}")) return "PROXY {PROXY[0]}:{PROXY[1]}";
  return "DIRECT";
}}
"""


def private_network_missing() -> str | None:
    """Why the private network cannot be made here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare (util-linux) or ip (iproute2) is missing"
    probe = subprocess.run(
        ["unshare", "--net", "--mount", "--uts", "true"], capture_output=True, timeout=10,
        check=False,
    )  # fmt: skip
    if probe.returncode != 0:
        return f"unshare is not allowed here: {probe.stderr.decode(errors='replace').strip()}"
    return None


def run_in_private_network(folder: Path, serve_pac: bool = True) -> dict[str, Any]:
    """Run the probe below in the private network; returns what it printed (JSON)."""
    hosts = folder / "hosts"
    hosts.write_text(f"127.0.0.1 localhost {HOSTNAME} {WPAD_HOST} {RELAY_HOST}\n")
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["RS_WPAD_SERVE"] = "1" if serve_pac else "0"
    script = (
        f"ip link set lo up && hostname {HOSTNAME} && mount --bind {hosts} /etc/hosts && "
        f"exec {sys.executable} -m tests.support.wpad_network"
    )
    result = subprocess.run(
        ["unshare", "--net", "--mount", "--uts", "sh", "-c", script],
        cwd=Path(__file__).resolve().parents[2], env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


class _PacHandler(http.server.BaseHTTPRequestHandler):
    asked: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.asked.append(f"{self.headers.get('Host')}{self.path}")
        if self.path != "/wpad.dat":
            self.send_error(404)
            return
        body = PAC.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def _probe() -> dict[str, Any]:
    """Inside the private network: serve wpad.dat on port 80 (if asked) and ask the agent's
    Connector, with the proxy set to automatic and no PAC address, for two routes."""
    from suite.net.connect import Connector
    from suite.net.policy import NetworkError, NetworkPolicy

    if os.environ.get("RS_WPAD_SERVE") == "1":
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 80), _PacHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
    connector = Connector(NetworkPolicy(proxy_mode="pac", pac_url=""))
    out: dict[str, Any] = {}
    try:
        routes = {
            "relay": connector.routes(f"https://{RELAY_HOST}:8443/health"),
            "other": connector.routes("https://intranet.corp.example/"),
        }
        out["routes"] = {
            name: [None if r is None else [r.host, r.port] for r in found]
            for name, found in routes.items()
        }
    except NetworkError as error:
        out["error"] = {"cause": error.details.get("cause"), "message": error.message}
    out["asked"] = _PacHandler.asked
    return out


if __name__ == "__main__":
    print(json.dumps(_probe()))
