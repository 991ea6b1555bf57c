"""``python -m relay_server users``: add, list, disable, enable agents and admins, set passwords.

Works on the store directly (``--data`` or ``--store``, as the relay), so the relay that uses
it must be stopped first (the store's lock says so if it is not). Every change goes into the
admin's audit log as the admin site's do: its actor the operator's login on this machine
(``ops@relay-1``), ``via: "command_line"``.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
import time

from relay_server.accounts.registry import AccountError, Accounts
from relay_server.options.options import Options
from relay_server.store import StoreError
from relay_server.store.choice import add_store_arguments, open_store, parse_choice


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="remotesales-relay users", description="Manage relay accounts."
    )
    add_store_arguments(p)
    sub = p.add_subparsers(dest="command", required=True)
    add = sub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--password", help="the password (default: asked, or read from stdin)")
    add.add_argument("--admin", action="store_true", help="an admin instead of an agent")
    for field in ("name", "title", "company", "phone", "email"):
        add.add_argument(f"--{field}", default="")
    sub.add_parser("list", help="list accounts")
    for command in ("disable", "enable"):
        sub.add_parser(command, help=f"{command} an account").add_argument("username")
    passwd = sub.add_parser("passwd", help="set a new password (logs the account out)")
    passwd.add_argument("username")
    passwd.add_argument("--password")
    return p


def _password(given: str | None) -> str:
    if given is not None:
        return given
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != first:
            raise AccountError("bad_request", "the two passwords differ")
        return first
    return sys.stdin.readline().rstrip("\n")


def operator() -> str:
    """Who ran the command (``login@host``), as the audit log shows it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container's numeric user)
        user = "?"
    return f"{user}@{socket.gethostname()}"


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        store = open_store(parse_choice(args.store, args.data, args.store_password_file))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except StoreError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    try:
        accounts = Accounts(store)
        options = Options(store, ())

        def audit(what: str, username: str, **details: str) -> None:
            options.record(f"account.{what}", operator(), time.time(), account=username,
                           address="", via="command_line", **details)  # fmt: skip

        if args.command == "add":
            accounts.create(
                args.username,
                _password(args.password),
                role="admin" if args.admin else "agent",
                **{k: getattr(args, k) for k in ("name", "title", "company", "phone", "email")},
            )
            audit("created", args.username, new="admin" if args.admin else "agent")
            print(f"created {'admin' if args.admin else 'agent'} '{args.username}'")
        elif args.command == "list":
            for account in accounts.list():
                state = "disabled" if account.get("disabled") else "active"
                name = account.get("name", "")
                print(f"{account['username']:<24} {account['role']:<6} {state:<8} {name}")
        elif args.command in ("disable", "enable"):
            accounts.set_disabled(args.username, args.command == "disable")
            audit(f"{args.command}d", args.username)
            print(f"{args.command}d '{args.username}'")
        elif args.command == "passwd":
            accounts.set_password(args.username, _password(args.password))
            audit("password_reset", args.username)
            print(f"password of '{args.username}' changed; its sessions were logged out")
    except AccountError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    return 0
