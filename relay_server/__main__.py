"""``python -m relay_server``: run the relay, manage its accounts (``users ...``), copy a
TinyDB data folder into PostgreSQL (``migrate ...``), build a history export
(``export-history ...``, the relay's own child process) or send its mail (``mail-worker``, its
other child)."""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
from pathlib import Path

from relay_server import logs
from relay_server.calls.ice_servers import DEFAULT_TURN_TTL_S
from relay_server.hub.choice import add_hub_arguments, parse_hub
from relay_server.sessions.join_guard import DEFAULT_GUESS_BUDGET, DEFAULT_GUESS_WINDOW_S
from relay_server.sessions.supports import DEFAULT_CUSTOMERS_PER_SESSION
from relay_server.store.choice import add_store_arguments, parse_choice
from relay_server.web.connection_limits import MIN_BODY_BYTES_PER_S, ConnectionLimits
from relay_server.web.proxy_headers import NODE_NAME_RE

logger = logging.getLogger("relay_server")

DEMO_USERNAME = "demo"
DEMO_ADMIN_USERNAME = "demo-admin"
DEFAULT_LIMITS = ConnectionLimits()
# No floor by default (a small relay copes with a low limit: test_slow_connections runs at
# 256); a deployment that plans for thousands of sessions sets one (deploy/compose.yaml: 65536).
DEFAULT_MIN_OPEN_FILES = 0


def serve_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="remotesales-relay",
        description="RemoteSales relay: customer relay page, agent API, websocket relay, store. "
        "Account management: 'remotesales-relay users --help'.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8470, help="port (0 = any free one)")
    add_store_arguments(parser)
    add_hub_arguments(parser)
    parser.add_argument("--tls-cert", type=Path, help="PEM certificate: serve https and wss")
    parser.add_argument("--tls-key", type=Path, help="PEM private key for --tls-cert")
    parser.add_argument(
        "--public-url", help="URL customers use to reach this relay (in invitations)"
    )
    parser.add_argument(
        "--ready-file", type=Path, help="write {url, port, pid} here once listening"
    )
    parser.add_argument(
        "--code-lifetime",
        type=float,
        default=600.0,
        help="access code lifetime, seconds (an admin may change it on the admin site, Options)",
    )
    parser.add_argument(
        "--handoff-lifetime",
        type=float,
        default=60.0,
        help="how long a desktop app's sign-in link to the system browser works, seconds (CH9)",
    )
    parser.add_argument(
        "--no-icons",
        action="store_true",
        help="hide waiting agents' icons on the relay page (admin site: Options)",
    )
    parser.add_argument(
        "--guess-budget",
        type=int,
        default=DEFAULT_GUESS_BUDGET,
        help="wrong access codes relay-wide per --guess-window before a correct code needs the "
        f"agent's admission (default {DEFAULT_GUESS_BUDGET}; 0 = never, only for benchmarks; "
        "see docs/security.md)",
    )
    parser.add_argument(
        "--customers-per-session",
        type=int,
        default=DEFAULT_CUSTOMERS_PER_SESSION,
        help="customers seated at once in one session; one more is refused with 409 "
        f"session_full (default {DEFAULT_CUSTOMERS_PER_SESSION}; admin site: Options)",
    )
    parser.add_argument(
        "--guess-window",
        type=float,
        default=DEFAULT_GUESS_WINDOW_S,
        help=f"the window of --guess-budget, seconds (default {DEFAULT_GUESS_WINDOW_S:.0f})",
    )
    parser.add_argument(
        "--trust-proxy",
        action="store_true",
        help="behind a reverse proxy: take client IPs from the entry the proxy appends to "
        "X-Forwarded-For, and the public address from X-Forwarded-Proto/Host",
    )
    parser.add_argument(
        "--trusted-proxy-hops",
        type=int,
        default=1,
        metavar="N",
        help="with --trust-proxy: how many proxies in a row append to X-Forwarded-For (the "
        "client is the N-th entry from the right; default 1)",
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=DEFAULT_LIMITS.header_timeout_s,
        metavar="SECONDS",
        help="a request line and its headers must arrive within this (default %(default)s)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_LIMITS.body_timeout_s,
        metavar="SECONDS",
        help="longest wait for more of a request body, or for a client to take more of a "
        f"response; a body must also average {MIN_BODY_BYTES_PER_S:.0f} bytes/s after this "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--keepalive-timeout",
        type=float,
        default=DEFAULT_LIMITS.keepalive_timeout_s,
        metavar="SECONDS",
        help="close an idle HTTP connection after this (default %(default)s)",
    )
    parser.add_argument(
        "--max-connections-per-address",
        type=int,
        metavar="N",
        help=f"connections in their HTTP phase one client address may hold (websockets give "
        f"their slot back; default "
        f"{DEFAULT_LIMITS.max_per_address}; with --trust-proxy, 0 = no cap: the proxy "
        "caps them); one more is answered 503",
    )
    parser.add_argument(
        "--health-details",
        action="store_true",
        help="GET /health shows session, socket and screen counters to anyone "
        "(default: only to an admin's bearer token)",
    )
    parser.add_argument(
        "--node-name",
        default="",
        help="this node's name behind a load balancer: every response carries "
        "X-Relay-Node: NAME (letters, digits, '.', '_', '-'; up to 63)",
    )
    parser.add_argument(
        "--min-open-files",
        type=int,
        default=DEFAULT_MIN_OPEN_FILES,
        metavar="N",
        help="refuse to start when the open-file limit, raised to its hard limit, is below N "
        "(default: no floor; each websocket takes one; 10,000 sessions: 20,100)",
    )
    parser.add_argument(
        "--stock-websocket", action="store_true", help="stock gevent-websocket (benchmark baseline)"
    )
    parser.add_argument(
        "--viewer-dir",
        type=Path,
        help="folder of one-time viewer builds (remotesales-viewer-<platform>) to offer customers",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="create a demo agent and a demo admin on an empty database",
    )
    parser.add_argument(
        "--max-file-size",
        default="2G",
        help="largest file agent and customer may send each other (e.g. 500M, 2G, 10G; "
        "default 2G); a bigger one is refused before upload (admin site: Options)",
    )
    parser.add_argument(
        "--file-types",
        default="",
        help="extensions files may have, comma-separated (e.g. 'pdf,png,jpg,docx'); "
        "default: every type (admin site: Options; an admin's value wins)",
    )
    mail = parser.add_argument_group(
        "mail (A3)",
        "the SMTP server the relay sends invitations through; an admin may change every value "
        "on the admin site (Mail), and the admin's value wins",
    )
    mail.add_argument("--smtp-host", help="SMTP server host name")
    mail.add_argument("--smtp-port", type=int, help="SMTP port (default 25)")
    mail.add_argument("--smtp-security", choices=["none", "starttls", "tls"], help="default none")
    mail.add_argument("--smtp-user", help="SMTP login (the password is set on the admin site)")
    mail.add_argument("--mail-from", help="sender address of the relay's mail")
    mail.add_argument("--mail-from-name", help="sender name (default RemoteSales)")
    mail.add_argument(
        "--smtp-ca-file",
        help="PEM file of the CA(s) that sign the SMTP server's certificate "
        "(default: the system's trusted CAs)",
    )
    mail.add_argument(
        "--mail-keep-days", type=int, help="days sent and failed mails are kept (default 30)"
    )
    mail.add_argument(
        "--reminder-minutes",
        type=int,
        help="reservations: reminder mail this many minutes before the start (default 15, 0: off)",
    )
    mail.add_argument(
        "--materials-mail-quiet",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="reservations: material files changed without an edit are mailed to the "
        "invitees after this quiet time (default 60)",
    )
    mail.add_argument(
        "--mail-retry-first",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="first wait after a temporary mail failure; doubles up to an hour (default 30)",
    )
    mail.add_argument(
        "--mail-claim",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="several nodes on one database: how long a node holds a mail it sends before "
        "another may take it over; longer than any SMTP conversation (default 600)",
    )
    parser.add_argument(
        "--stun-url",
        action="append",
        default=[],
        help="a STUN server for calls (stun:host:port); repeatable. Without STUN or TURN, "
        "calls use host candidates only (a LAN)",
    )
    parser.add_argument(
        "--turn-url",
        action="append",
        default=[],
        help="a TURN server for calls (turn:host:3478?transport=udp, turns:...); repeatable; "
        "needs --turn-secret (docs/calls.md: running coturn next to the relay)",
    )
    parser.add_argument(
        "--turn-secret",
        default=os.environ.get("REMOTESALES_TURN_SECRET", ""),
        help="the TURN server's shared secret (coturn's static-auth-secret); also read from "
        "$REMOTESALES_TURN_SECRET, which keeps it out of the process list",
    )
    parser.add_argument(
        "--turn-ttl",
        type=int,
        default=DEFAULT_TURN_TTL_S,
        help=f"seconds a participant's TURN credentials stay valid (default {DEFAULT_TURN_TTL_S})",
    )
    parser.add_argument(
        "--log-level", default="info", choices=["debug", "info", "warning", "error"]
    )
    return parser


def serve(argv: list[str]) -> int:
    # gevent must patch the standard library before anything else imports socket or ssl.
    from gevent import monkey

    monkey.patch_all()
    args = serve_parser().parse_args(argv)
    logs.configure(args.log_level)
    if bool(args.tls_cert) != bool(args.tls_key):
        print("error: --tls-cert and --tls-key go together", file=sys.stderr)
        return 2
    if args.trusted_proxy_hops < 1:
        print("error: --trusted-proxy-hops is 1 or more", file=sys.stderr)
        return 2
    timeouts = (args.header_timeout, args.body_timeout, args.keepalive_timeout)
    if min(timeouts) <= 0:
        print("error: timeouts are positive numbers of seconds", file=sys.stderr)
        return 2
    max_per_address = args.max_connections_per_address
    if max_per_address is None:
        max_per_address = 0 if args.trust_proxy else DEFAULT_LIMITS.max_per_address
    if max_per_address < 0:
        print("error: --max-connections-per-address is 0 (no cap) or more", file=sys.stderr)
        return 2
    if args.node_name and not NODE_NAME_RE.match(args.node_name):
        print(
            "error: --node-name is 1-63 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit",
            file=sys.stderr,
        )
        return 2
    if args.viewer_dir is not None and not args.viewer_dir.is_dir():
        print(f"error: --viewer-dir {args.viewer_dir} is not a folder", file=sys.stderr)
        return 2

    try:
        store_choice = parse_choice(args.store, args.data, args.store_password_file)
        hub_choice = parse_hub(args.hub, args.hub_password_file)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        mail_command_line = _mail_command_line(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.materials_mail_quiet < 0:
        print("error: --materials-mail-quiet is a number of seconds", file=sys.stderr)
        return 2
    if args.mail_claim <= 0:
        print("error: --mail-claim is a positive number of seconds", file=sys.stderr)
        return 2
    if args.mail_retry_first <= 0:
        print("error: --mail-retry-first is a positive number of seconds", file=sys.stderr)
        return 2

    from relay_server.calls.ice_servers import IceConfig
    from relay_server.files.transfers import FileRules, parse_extensions, parse_size
    from relay_server.hub import HubError
    from relay_server.hub.choice import open_hub
    from relay_server.mail.outbox import RetryPolicy
    from relay_server.sessions.relay import RelayOptions
    from relay_server.store import StoreError
    from relay_server.store.choice import open_store
    from relay_server.web.server import ServerConfig, raise_descriptor_limit, run

    soft, hard = raise_descriptor_limit()
    if 0 <= soft < args.min_open_files:
        print(
            f"error: the open-file limit is {soft} (hard limit {hard}), below --min-open-files "
            f"{args.min_open_files}: raise the hard limit (systemd LimitNOFILE=, docker "
            "--ulimit nofile=, /etc/security/limits.conf) or lower --min-open-files",
            file=sys.stderr,
        )
        return 1
    try:
        hub = open_hub(hub_choice)
    except HubError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        # One name per node: a row the store claims is the node's the hub knows alive.
        store = open_store(store_choice, hub.node_id)
    except StoreError as error:
        hub.close()
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.demo:
        _ensure_demo_agent(store, store.folder)
    config = ServerConfig(
        host=args.host,
        port=args.port,
        data_dir=store.folder,
        tls_cert=args.tls_cert,
        tls_key=args.tls_key,
        ready_file=args.ready_file,
        stock_websocket=args.stock_websocket,
        trusted_proxy_hops=args.trusted_proxy_hops if args.trust_proxy else 0,
        viewer_dir=args.viewer_dir,
        health_details=args.health_details,
        node_name=args.node_name,
        mail_command_line=mail_command_line,
        mail_retry=RetryPolicy(first_s=args.mail_retry_first),
        mail_claim_s=args.mail_claim,
        materials_quiet_s=args.materials_mail_quiet,
        limits=ConnectionLimits(
            header_timeout_s=args.header_timeout,
            body_timeout_s=args.body_timeout,
            keepalive_timeout_s=args.keepalive_timeout,
            max_per_address=max_per_address,
        ),
    )
    if not 1 <= args.customers_per_session <= 50:  # 50 viewers fit a presentation's 64
        print("error: --customers-per-session must be 1-50", file=sys.stderr)
        return 2
    try:
        file_rules = FileRules(parse_size(args.max_file_size), parse_extensions(args.file_types))
    except ValueError as error:
        print(f"error: --max-file-size: {error}", file=sys.stderr)
        return 2
    try:
        ice = IceConfig(tuple(args.stun_url), tuple(args.turn_url), args.turn_secret, args.turn_ttl)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    options = RelayOptions(
        ice=ice,
        code_lifetime_s=args.code_lifetime,
        handoff_lifetime_s=args.handoff_lifetime,
        icons_enabled=not args.no_icons,
        guess_budget=args.guess_budget,
        guess_window_s=args.guess_window,
        customers_per_session=args.customers_per_session,
        public_url=args.public_url,
        file_rules=file_rules,
    )

    def show_urls(url: str) -> None:
        print(
            f"Relay page (customers): {url}/\nAgent page:             {url}/agent\n"
            f"Admin page:             {url}/admin",
            flush=True,
        )

    return run(config, options, store, on_listening=show_urls if args.demo else None, hub=hub)


def _mail_command_line(args: argparse.Namespace) -> dict:
    """The mail options given on the command line, checked as an admin's would be."""
    from relay_server.errors import Refused
    from relay_server.mail.settings import MAIL_OPTIONS

    given = {
        "mail.host": args.smtp_host,
        "mail.port": args.smtp_port,
        "mail.security": args.smtp_security,
        "mail.username": args.smtp_user,
        "mail.sender_address": args.mail_from,
        "mail.sender_name": args.mail_from_name,
        "mail.ca_file": args.smtp_ca_file,
        "mail.keep_days": args.mail_keep_days,
        "mail.reminder_minutes": args.reminder_minutes,
    }
    specs = {spec.key: spec for spec in MAIL_OPTIONS}
    checked = {}
    for key, value in given.items():
        if value is None:
            continue
        try:
            checked[key] = specs[key].checked(value)
        except Refused as refused:
            raise ValueError(f"mail option {refused.message}") from None
    return checked


def _ensure_demo_agent(store, data: Path) -> None:
    from relay_server.accounts.registry import Accounts

    credentials = data / "demo-credentials.txt"
    accounts = Accounts(store)
    if not accounts.list():
        password = secrets.token_urlsafe(9)
        accounts.create(
            DEMO_USERNAME, password, name="Demo Agent", title="Sales", company="RemoteSales Demo"
        )
        credentials.write_text(f"{DEMO_USERNAME}\n{password}\n")
        credentials.chmod(0o600)
    if credentials.exists():
        username, password = credentials.read_text().split()[:2]
        _print_demo_login("Demo agent", accounts, username, password)
        _ensure_demo_admin(accounts, data)


def _ensure_demo_admin(accounts, data: Path) -> None:
    """A demo admin for the admin site (AD1) beside the demo agent.

    Made on a demo database without any admin: a new one, or one from before the admin site.
    """
    credentials = data / "demo-admin-credentials.txt"
    if not any(account["role"] == "admin" for account in accounts.list()):
        password = secrets.token_urlsafe(9)
        accounts.create(DEMO_ADMIN_USERNAME, password, role="admin", name="Demo Admin")
        credentials.write_text(f"{DEMO_ADMIN_USERNAME}\n{password}\n")
        credentials.chmod(0o600)
    if credentials.exists():
        username, password = credentials.read_text().split()[:2]
        _print_demo_login("Demo admin", accounts, username, password)


def _print_demo_login(who: str, accounts, username: str, password: str) -> None:
    """Print the demo login, but only a password that still works.

    An admin may have reset the password (or disabled or deleted the account) since it was
    written down: printing the old one would send the person to a login that fails.
    """
    account = accounts.verify(username, password)
    if account is not None and not account.get("disabled"):
        print(f"{who}: ID '{username}', password '{password}'", flush=True)
    elif accounts.get(username) is None:
        print(f"{who}: ID '{username}' no longer exists on this database", flush=True)
    elif account is not None:
        print(f"{who}: ID '{username}' is disabled; enable it in the admin site", flush=True)
    else:
        print(
            f"{who}: ID '{username}', its password was changed since it was created "
            "(in the admin site); sign in with the new one",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "users":
        from relay_server.accounts.users_cli import main as users_main

        return users_main(argv[1:])
    if argv and argv[0] == "migrate":
        from relay_server.store.migrate import main as migrate_main

        return migrate_main(argv[1:])
    if argv and argv[0] == "export-history":  # the relay's export child (history/export.py)
        from relay_server.history.export import main as export_main

        return export_main(argv[1:])
    if argv and argv[0] == "mail-worker":  # the relay's mail child (mail/worker.py)
        from relay_server.mail.worker import main as mail_worker_main

        return mail_worker_main(argv[1:])
    return serve(argv)


if __name__ == "__main__":
    sys.exit(main())
