"""HTTP routes of the admin's options (AD4) and their audit log. Contract in
docs/protocol.md, *Options*.

``GET /api/admin/options`` lists every option by section with its value and source;
``PUT /api/admin/options`` sets some (all checked first: one bad value changes nothing);
``POST /api/admin/options/reset`` gives some back to the command line or the default;
``GET /api/admin/audit`` pages the audit log, newest first. Admins only (403 ``not_admin``).
Every change is durable before the answer (``wait_durable``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import bottle

from relay_server.admin import rules
from relay_server.errors import Refused
from relay_server.options.catalog import GROUPS
from relay_server.options.options import Options
from relay_server.web.authorization import Authenticator, bearer_principal
from relay_server.web.http_bodies import json_body, json_route

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


def install_option_routes(
    app: bottle.Bottle,
    accounts: Authenticator[Any],
    options: Options,
    wait_durable: Callable[[], object],
    clock: Callable[[], float],
    on_change: Callable[[list[str]], None] = lambda keys: None,
    client_ip: Callable[[], str] = lambda: "",
) -> None:
    """Add the options API to ``app``.

    Args:
        on_change: told the keys that changed (the mail sender retries what waits).
        client_ip: the admin's client address, kept in the audit log.
    """
    route = json_route()

    def admin() -> Any:
        found = bearer_principal(accounts, bottle.request.get_header("Authorization"), clock())
        rules.require_admin(found.role)
        return found

    def view() -> dict[str, Any]:
        groups = []
        for group in GROUPS:
            keys = [key for key, spec in options.specs.items() if spec.group == group]
            groups.append({"group": group, "options": [options.describe(key) for key in keys]})
        return {"groups": groups, "version": options.version}

    def changed(keys: list[str], actor: str, what: str) -> None:
        wait_durable()
        if keys:
            logger.info("options %s", what, extra={"by": actor, "keys": keys})
            on_change(keys)

    @app.get("/api/admin/options")
    @route
    def get_options():
        admin()
        return view()

    @app.put("/api/admin/options")
    @route
    def put_options():
        actor = admin()
        values = json_body(MAX_BODY_BYTES).get("values")
        if not isinstance(values, dict) or not values:
            raise Refused("bad_request", "'values' must be an object of option keys and values")
        for key in values:
            spec = options.specs.get(key)
            if spec is not None and spec.secret:  # write-only: through its own form
                raise Refused(
                    "bad_setting", f"{spec.field}: set it on the Mail page",
                    details={"field": spec.field, "key": key},
                )  # fmt: skip
        keys = options.set(values, actor.username, clock(), client_ip())
        changed(keys, actor.username, "changed")
        return {**view(), "changed": keys}

    @app.post("/api/admin/options/reset")
    @route
    def reset_options():
        actor = admin()
        keys = json_body(MAX_BODY_BYTES).get("keys")
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise Refused("bad_request", "'keys' must be a list of option keys")
        reset = options.reset(keys, actor.username, clock(), client_ip())
        changed(reset, actor.username, "reset")
        return {**view(), "changed": reset}

    @app.get("/api/admin/audit")
    @route
    def audit_log():
        admin()
        page = _whole(bottle.request.query.get("page"), 1, "page")
        per_page = _whole(bottle.request.query.get("per_page"), DEFAULT_PER_PAGE, "per_page")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise Refused("bad_request", f"'per_page' is from 1 to {MAX_PER_PAGE}")
        total = options.audit_count()
        entries = options.audit("", per_page, (page - 1) * per_page)
        return {"entries": entries, "total": total, "page": page, "per_page": per_page}


def _whole(text: str | None, default: int, name: str) -> int:
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise Refused("bad_request", f"'{name}' must be a whole number from 1")
    return int(text)
