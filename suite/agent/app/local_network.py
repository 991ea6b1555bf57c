"""The local API's network routes (A7) and the first run's questions.

``GET/PUT /local/network``: the relay address, SSL, the CA file and the proxy (the password goes
to :class:`~suite.agent.app.network_settings.ProxyPasswordStore`, never back to a page).
``POST /local/network/test``: what the form says, tried against the relay's ``/health`` through
the same connector every connection uses; a failure answers 502 with ``{code, cause, message}``.
``GET /local/first_run``: whether a relay is configured, and the provisioning file's defaults.

New settings apply to the next connection (the relay client, file transfers, the windows'
websocket tunnel, a presenter started later); an open websocket or a running presentation keeps
its route until it reconnects, and nothing needs the app to restart.

Provisioning (``remotesales-agent.json``, docs/deployment.md): an administrator puts it beside
the executable or in ``/etc/remotesales/`` (``$REMOTESALES_PROVISIONING`` names another one):
``{"relay_url": "...", "verify_tls": true, "network": {...}}`` with the same shapes as the
settings (no password). It only prefills the first-run form; the person confirms it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bottle

from suite.agent.app.errors import AgentError, RelayClientError, SettingsError
from suite.agent.app.network_settings import AgentNetwork, checked_password
from suite.agent.app.relay_client import RelayClient, parse_relay_address
from suite.agent.app.settings import validate

logger = logging.getLogger(__name__)

PROVISIONING_FILE = "remotesales-agent.json"
PROVISIONING_ENV = "REMOTESALES_PROVISIONING"
MAX_PROVISIONING_BYTES = 64 * 1024
PROVISIONED_KEYS = ("relay_url", "verify_tls", "network")
TEST_TIMEOUT_S = 8.0


def provisioning_paths() -> list[Path]:
    """Where a provisioning file is looked for, first found wins."""
    named = os.environ.get(PROVISIONING_ENV)
    if named:
        return [Path(named)]
    here = Path(sys.executable if getattr(sys, "frozen", False) else sys.argv[0]).resolve()
    return [here.parent / PROVISIONING_FILE, Path("/etc/remotesales") / PROVISIONING_FILE]


def read_provisioning(paths: list[Path]) -> dict[str, Any]:
    """The first readable provisioning file's settings, checked as settings are:
    ``{settings, path}`` or ``{settings: {}, path: None, error?}``; a broken file is reported,
    never applied."""
    for path in paths:
        if not path.is_file():
            continue
        try:
            raw = path.read_bytes()[: MAX_PROVISIONING_BYTES + 1]
            if len(raw) > MAX_PROVISIONING_BYTES:
                raise SettingsError(f"over {MAX_PROVISIONING_BYTES} bytes")
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise SettingsError("it must hold a JSON object")
            unknown = sorted(set(data) - set(PROVISIONED_KEYS))
            if unknown:
                raise SettingsError(f"unknown key(s) {', '.join(unknown)}")
            validate(data)
            if data.get("relay_url"):
                data["relay_url"] = parse_relay_address(data["relay_url"]).base_url
            return {"settings": data, "path": str(path)}
        except (OSError, ValueError, AgentError) as error:
            message = getattr(error, "message", str(error))
            logger.warning("provisioning file %s ignored: %s", path, message)
            return {"settings": {}, "path": None, "error": f"{path}: {message}"}
    return {"settings": {}, "path": None}


def install_network_routes(
    app: bottle.Bottle,
    json_route: Callable[..., Any],
    network: AgentNetwork,
    body: Callable[[], dict[str, Any]],
    provisioning: Callable[[], list[Path]] = provisioning_paths,
    choose_path: Callable[[str], Path | None] | None = None,
) -> None:
    """Add ``/local/network``, ``/local/network/test``, ``/local/network/choose_ca_file`` and
    ``/local/first_run`` to ``app``; ``choose_path`` is the native open dialog (None where the
    app has no windows)."""
    settings = network.settings

    def view() -> dict[str, Any]:
        current = settings.get()
        return {
            "relay_url": current["relay_url"],
            "verify_tls": current["verify_tls"],
            "network": current["network"],
            "has_password": bool(network.passwords.get()),
            "password_store": network.passwords.kind,
        }

    def changes_of(data: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        unknown = sorted(set(data) - {"relay_url", "verify_tls", "network", "proxy_password"})
        if unknown:
            raise SettingsError(f"unknown field(s): {', '.join(unknown)}")
        changes: dict[str, Any] = {
            k: data[k] for k in ("relay_url", "verify_tls", "network") if k in data
        }
        validate(changes)
        if changes.get("relay_url"):
            changes["relay_url"] = parse_relay_address(changes["relay_url"]).base_url
        password = data.get("proxy_password")
        return changes, None if password is None else checked_password(password)

    @app.get("/local/network")
    @json_route
    def get_network():
        return view()

    @app.put("/local/network")
    @json_route
    def put_network():
        changes, password = changes_of(body())
        settings.update(changes)
        if password is not None:
            network.passwords.set(password)
        logger.info("network settings changed: %s", sorted(changes))
        return view()

    @app.post("/local/network/test")
    @json_route
    def test_network():
        changes, password = changes_of(body())
        url = changes.get("relay_url") or settings.get()["relay_url"]
        if not url:
            raise AgentError("no_relay", "enter the relay's address first", 409)
        policy = network.policy(changes, password)
        client = RelayClient(url, timeout_s=TEST_TIMEOUT_S, policy=policy)
        try:
            health = client.check_health()
        except RelayClientError as error:
            logger.info("connection test to %s failed: %s", url, error.message)
            raise
        return {"ok": True, "relay_url": client.base_url, "relay_version": health.get("version")}

    @app.post("/local/network/choose_ca_file")
    @json_route
    def choose_ca_file():
        if choose_path is None:
            raise AgentError("no_dialog", "this app cannot show a file dialog", 501)
        chosen = choose_path("file")
        return {"path": str(chosen) if chosen else "", "cancelled": chosen is None}

    @app.get("/local/first_run")
    @json_route
    def first_run():
        current = settings.get()
        provisioned = read_provisioning(provisioning())
        return {"needed": not current["relay_url"], **provisioned}
