"""The relay process: gevent WSGI server, websocket handler, upkeep, clean shutdown."""

from __future__ import annotations

import json
import logging
import os
import signal
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import bottle
import gevent
from gevent.event import Event

from relay_server.accounts.passwords import hash_password
from relay_server.accounts.token_budget import UnknownTokenBudget
from relay_server.admin.routes import close_agent_sockets, follow_agent_socket_notices
from relay_server.hub import Hub, HubError
from relay_server.hub.changes import SharedChanges
from relay_server.mail import commit_journal
from relay_server.mail.adoption import ADOPT_POLL_S, MailAdoption
from relay_server.mail.outbox import CLAIM_S, Outbox, RetryPolicy
from relay_server.mail.routes import install_mail_routes
from relay_server.mail.sender import MailSender
from relay_server.mail.settings import smtp_settings
from relay_server.mail.worker_client import WorkerDelivery
from relay_server.options.catalog import ALL_OPTIONS
from relay_server.options.live import command_line_values
from relay_server.options.options import Options
from relay_server.options.routes import install_option_routes
from relay_server.reservations.mail_routes import install_reservation_mail_routes
from relay_server.reservations.mailer import ReservationMailer, agent_profile_reader
from relay_server.reservations.model import Invitee, Reservation, ReservationChange
from relay_server.reservations.reminder_loop import ReminderLoop, reminder_slot
from relay_server.reservations.service import MATERIALS_QUIET_S, Reservations
from relay_server.sessions.relay import Relay, RelayOptions
from relay_server.sessions.takeover import LEASE_RENEW_S
from relay_server.store import Store, TinyDBStore
from relay_server.store.committer import GroupCommitter
from relay_server.viewer.builds import ViewerBuilds
from relay_server.web import proxy_headers
from relay_server.web.app import build_app
from relay_server.web.connection_limits import ConnectionLimits
from relay_server.web.gc_pauses import watch_gc_pauses
from relay_server.web.gc_policy import configure_collector, follow_sockets_forever
from relay_server.web.http_server import LimitedWSGIServer, timed_handler_class
from relay_server.web.proxy_headers import AFFINITY_HEADER, NODE_HEADER
from relay_server.web.refusals import refusals
from relay_server.web.takeover_gate import TakeoverGate
from relay_server.web.ws_endpoint import open_sockets
from suite.atomic_files import write_atomically
from suite.protocol import CloseCode

logger = logging.getLogger(__name__)

TICK_S = 1.0
OUTBOX_CLEANUP_S = 3600.0


@dataclass(slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 8470
    data_dir: Path = Path("data")
    tls_cert: Path | None = None
    tls_key: Path | None = None
    ready_file: Path | None = None
    stock_websocket: bool = False
    trusted_proxy_hops: int = 0  # proxies that append to X-Forwarded-For (--trust-proxy)
    viewer_dir: Path | None = None  # one-time viewer builds to hand out (D1)
    limits: ConnectionLimits = field(default_factory=ConnectionLimits)  # slow clients
    health_details: bool = False  # /health counters for anyone, not only admins
    node_name: str = ""  # behind a balancer: every response says X-Relay-Node: <name>
    # Mail (A3, AD4): option values from the command line (``mail.host``...), first retry.
    mail_command_line: dict = field(default_factory=dict)
    mail_retry: RetryPolicy = field(default_factory=RetryPolicy)
    mail_claim_s: float = CLAIM_S  # several nodes: how long a node holds a mail it sends
    materials_quiet_s: float = MATERIALS_QUIET_S  # reservations: files' update mail (service)


def websocket_handler_class(stock: bool):
    """The fast handler (C unmasking, size cap) unless the stock one is asked for (benchmarks)."""
    if not stock:
        try:
            from relay_server.web.websocket_speedups import FastWebSocketHandler

            return FastWebSocketHandler
        except ImportError:
            logger.warning("websocket speedups unavailable; using the stock handler")
    from geventwebsocket.handler import WebSocketHandler

    return WebSocketHandler


def run(
    config: ServerConfig,
    options: RelayOptions,
    store: Store | None = None,
    on_listening=None,
    hub: Hub | None = None,
) -> int:
    """Serve until SIGTERM or SIGINT; returns the process exit status."""
    store = store or TinyDBStore(config.data_dir)
    committer = GroupCommitter(store)
    pool = gevent.get_hub().threadpool
    # AD4: one set of options for the whole relay (sessions, files, mail, ...): the admin's
    # values over the command line's over the defaults, read at each use.
    settings = Options(
        store, ALL_OPTIONS,
        {**command_line_values(options, RelayOptions()), **config.mail_command_line},
    )  # fmt: skip
    relay = Relay(
        store, options, wait_durable=committer.wait_durable, call_later=gevent.spawn_later,
        # New passwords are hashed off the event loop (admin site, AD1): scrypt takes ~50 ms.
        hasher=lambda password: pool.apply(hash_password, (password,)),
        settings=settings, hub=hub,
    )  # fmt: skip
    if relay.hub.kind != "local":  # a dead node's sessions taken over together
        relay.take_over_one = TakeoverGate(relay.take_over_sessions).take_over
    # A11: the booking; its mail is plugged in below
    reservations = Reservations(
        relay, materials_quiet_s=config.materials_quiet_s, call_later=gevent.spawn_later
    )
    if store.kind != "tinydb":  # an unknown token costs a database query: budgeted
        relay.accounts.unknown_tokens = UnknownTokenBudget(relay.hub)
    shared_changes = None
    if store.kind != "tinydb" and relay.hub.kind != "local":  # several nodes on one database
        shared_changes = SharedChanges(store, relay.hub)
    app = build_app(
        relay,
        trusted_proxy_hops=config.trusted_proxy_hops,
        viewer_builds=ViewerBuilds(config.viewer_dir),
        health_details=config.health_details,
        reservations=reservations,
        commit_stats=committer.stats.snapshot,
        listen=shared_changes.listen if shared_changes is not None else None,
    )
    # Mail: the admin's settings, the durable outbox (crash recovery first), the sender.
    outbox = Outbox(store, config.mail_retry, node=relay.hub.node_id, claim_s=config.mail_claim_s)
    # One relay on one folder: the mail worker keeps the commit points in a journal of its
    # own (mail/commit_journal.py); several nodes on one database keep them in the store.
    folder = getattr(store, "folder", None) if store.kind == "tinydb" else None
    commits = str(commit_journal.path_in(folder)) if folder is not None else None
    recovered = {}
    if commits is not None:
        recovered = outbox.fold_commit_journal(commit_journal.outcomes(commits), time.time())
    recovered.update(outbox.recover(time.time()))
    committer.wait_durable()
    if commits is not None:
        commit_journal.truncate(commits)  # its outcomes are in the store now, durable
    if any(recovered.values()):
        logger.info("outbox recovered after a stop", extra=recovered)
    sender = MailSender(
        outbox, lambda: smtp_settings(settings.get), committer.wait_durable_mail,
        ride_durable=committer.ride_durable_mail,
        # building and SMTP off the event loop (mail/worker.py)
        delivery=WorkerDelivery(journal=commits),
    )  # fmt: skip

    # The admin's test mail: a worker of its own, off the event loop like every mail.
    def client_ip() -> str:  # the admin's address in the audit log
        return proxy_headers.client_ip(bottle.request.environ, config.trusted_proxy_hops)

    install_mail_routes(
        app, relay, settings, outbox, sender, test_delivery=WorkerDelivery, client_ip=client_ip
    )

    def options_changed(keys: list[str]) -> None:
        if any(key.startswith("mail.") for key in keys):  # as the Mail page's own save does
            outbox.retry_waiting_now(time.time())
            committer.wait_durable()
            sender.wake()
        if "recording.policy" in keys:  # P9: a running recording follows at once
            relay.screens.recording_policy_changed(relay.options.recording_policy)
        if "mail.reminder_minutes" in keys:
            reminder_loop.wake()  # a longer lead may make a reminder due now

    install_option_routes(
        app, relay.accounts, settings, committer.wait_durable, time.time, options_changed,
        client_ip,
    )  # fmt: skip
    if shared_changes is not None:
        _follow_shared_changes(shared_changes, relay, settings, options_changed)
    sender.start()
    # Reservations' mail (C3): invitations, updates, cancellations and reminders. The
    # reservation store calls ``reservation_mailer.on_change`` after each durable change and
    # ``reminder_loop.wake()``; ``reservations`` lists what the reminders look at.
    listening: dict[str, str] = {}

    def relay_url() -> str:
        return (options.public_url or listening.get("url", "")).rstrip("/")

    def link_for(reservation: Reservation, invitee: Invitee) -> str:
        # The reservations' meeting page (reservations/service.py meeting_url).
        return f"{relay_url()}/?meet={invitee.link_secret}"

    reservation_mailer = ReservationMailer(
        outbox, lambda: smtp_settings(settings.get), agent_profile_reader(relay),
        link_for, committer.wait_durable,
    )  # fmt: skip
    reminder_loop = ReminderLoop(
        reservation_mailer, reservations.every,
        lambda: int(settings.get("mail.reminder_minutes")),
        # Several nodes hold every reservation: one of them sends its reminders.
        claim=lambda reservation, ttl_s: relay.hub.claim(
            "reminder", reminder_slot(reservation), relay.hub.node_id, ttl_s
        ),
        before_queue=outbox.learn_others if shared_changes is not None else lambda: None,
    )  # fmt: skip

    def reservation_changed(
        reservation: Reservation, change: ReservationChange, previous: Reservation | None
    ) -> None:
        reservation_mailer.on_change(reservation, change, previous)
        reminder_loop.wake()  # a new or moved start may be the next reminder

    reservations.on_change = reservation_changed
    reservations.start()  # file changes not yet mailed before a stop
    if shared_changes is not None:
        shared_changes.listen("reservations", reservations.reload)
    close_support_link = outbox.on_undelivered  # the instant meetings' links (mail/routes.py)

    def mail_undelivered(mail_id: str) -> None:
        # A11: a reservation's invitation that will never arrive closes its invitee's link.
        close_support_link(mail_id)
        meta = outbox.meta(mail_id)
        if meta.get("invitation_to") and reservations.close_undelivered_link(
            str(meta.get("reservation", "")), str(meta["invitation_to"])
        ):
            logger.info("reservation link closed: its invitation failed",
                        extra={"reservation": meta.get("reservation")})  # fmt: skip

    outbox.on_undelivered = mail_undelivered
    install_reservation_mail_routes(app, relay, settings, outbox, reservation_mailer, relay_url)
    ssl_args = {}
    if config.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(config.tls_cert), str(config.tls_key))
        ssl_args["ssl_context"] = context
    server = LimitedWSGIServer(
        (config.host, config.port),
        app,
        limits=config.limits,
        response_headers=((NODE_HEADER, config.node_name),) if config.node_name else (),
        handler_class=timed_handler_class(websocket_handler_class(config.stock_websocket)),
        log=None,
        error_log=logging.getLogger("relay_server.wsgi"),
        **ssl_args,
    )
    server.upgrade_headers = lambda environ: _session_affinity(relay, environ)
    server.start()
    scheme = "https" if config.tls_cert else "http"
    host, port = server.address[:2]
    url = f"{scheme}://{host if ':' not in host else f'[{host}]'}:{port}"
    listening["url"] = url
    reminder_loop.start()
    cleanup = gevent.spawn(_clean_outbox_forever, outbox, settings, committer.wait_durable)
    adoption = None
    if shared_changes is not None:  # several nodes: a dead node's mails are sent by another
        adoption = gevent.spawn(
            _adopt_mail_forever, MailAdoption(relay.hub, outbox), committer.wait_durable,
            sender.wake,
        )  # fmt: skip
    logger.info(
        "relay listening", extra={"url": url, "data": str(config.data_dir), "store": store.kind}
    )
    if config.viewer_dir is not None:
        offered = ViewerBuilds(config.viewer_dir).available()
        logger.info(
            "one-time viewer builds: %s", ", ".join(offered) or "none (browser viewer only)"
        )
    if on_listening is not None:
        on_listening(options.public_url or url)

    # Every socket keeps a few dozen long-lived objects; with thousands of them the cyclic
    # collector's passes stalled the event loop for hundreds of milliseconds (web/gc_policy.py:
    # short young passes, a freeze as the sockets grow, a full pass when memory says so).
    freezer = configure_collector()
    watch_gc_pauses()  # the passes that still stall it, in the log
    collector = gevent.spawn(follow_sockets_forever, open_sockets, None, gevent.sleep, freezer)

    # Signals are handled before anyone is told the relay is ready: a SIGTERM right after the
    # ready file must still stop it cleanly (journal flushed, history snapshots saved).
    stop = Event()
    gevent.signal_handler(signal.SIGTERM, stop.set)
    gevent.signal_handler(signal.SIGINT, stop.set)
    if config.ready_file:
        write_atomically(
            config.ready_file, json.dumps({"url": url, "port": port, "pid": os.getpid()}).encode()
        )
    ticker = gevent.spawn(_tick_forever, relay)
    renewer = gevent.spawn(_renew_lease_forever, relay)
    stop.wait()

    logger.info("relay stopping")
    ticker.kill()
    renewer.kill()
    collector.kill()
    reminder_loop.stop()
    cleanup.kill()
    if adoption is not None:
        adoption.kill()
    server.stop_accepting()
    for member in relay.rooms.members() + relay.screens.members():
        member.close(CloseCode.GOING_AWAY, "relay restarting")
    relay.whiteboards.flush()
    # Drain: what was acknowledged is committed before another node may read it, then the
    # lease goes and the clients' reconnects are taken over at once (not after the lease).
    committer.wait_durable()
    relay.hand_over_all()
    server.stop(timeout=3)
    sender.stop()
    relay.whiteboards.flush()  # the last second's whiteboard changes (journaled; close syncs)
    committer.stop()
    relay.history.close()  # saves the history's index snapshots: the next start is fast
    store.close()
    relay.hub.close()
    logger.info("relay stopped; data flushed")
    return 0


def _session_affinity(relay: Relay, environ: dict[str, Any]) -> list[tuple[str, str]]:
    """Several nodes: a websocket's ``101`` names its session (``X-Relay-Affinity``) when this
    node serves it, taking it over first if its node is gone, so that the balancer learns the
    new owner from the first socket that reaches it after a failover. A refusal (another node
    owns it, the hub is away) adds nothing: the route closes the socket and says why."""
    session_id = parse_qs(str(environ.get("QUERY_STRING", ""))).get("session", [""])[0][:64]
    if not session_id or relay.hub.kind == "local":
        return []
    try:
        relay.ensure_owned(session_id)
    except Exception:  # wrong_node, hub_unavailable: answered by the route after the upgrade
        return []
    if session_id not in relay.directory.sessions:
        return []
    return [(AFFINITY_HEADER, session_id)]


# Descriptors a relay holds besides its sockets: the store, logs, the listening socket, spools.
RESERVED_DESCRIPTORS = 100
FEW_WEBSOCKETS = 4000  # 2,000 sessions: below this the start-up line is a warning


def raise_descriptor_limit() -> tuple[int, int]:
    """Raise the soft limit on open descriptors to the hard one; log both.

    Every connection is a descriptor (10,000 sessions hold 20,000 websockets); distributions
    start services with a soft limit of 1,024 (or less) under a hard one that is often far
    higher, and only the hard limit needs privilege to raise.

    Returns:
        The (soft, hard) limits now in force; ``(-1, -1)`` where there are none (Windows).
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit
        return -1, -1
    before, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(before, 1 << 20)
    soft = before
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        except (ValueError, OSError) as error:
            logger.warning("could not raise the descriptor limit from %d: %s", soft, error)
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    room = max(0, soft - RESERVED_DESCRIPTORS)
    logger.log(
        logging.WARNING if room < FEW_WEBSOCKETS else logging.INFO,
        "open descriptor limit: %d (soft), %d (hard); was %d: room for about %d websockets%s",
        soft, hard, before, room,
        "; raise the hard limit for more (LimitNOFILE=, --ulimit nofile=)"
        if room < FEW_WEBSOCKETS else "",
    )  # fmt: skip
    return soft, hard


def _clean_outbox_forever(outbox: Outbox, options: Options, wait_durable) -> None:
    """Drop sent and failed mails older than ``mail.keep_days``, at start and hourly."""
    while True:
        try:
            keep_s = int(options.get("mail.keep_days")) * 86400
            dropped = outbox.drop_finished(time.time() - keep_s)
            if dropped:
                wait_durable()
                logger.info("old mails dropped from the outbox", extra={"mails": dropped})
        except Exception:
            logger.exception("outbox cleanup failed")
        gevent.sleep(OUTBOX_CLEANUP_S)


def _renew_lease_forever(relay: Relay) -> None:
    """The node's lease in the hub, apart from the tick: a slow tick (a flush waiting for
    the database) does not delay it (sessions/takeover.py, ``SESSION_LEASE_S``)."""
    while True:
        relay.renew_lease()
        gevent.sleep(LEASE_RENEW_S)


def _tick_forever(relay: Relay) -> None:
    while True:
        gevent.sleep(TICK_S)
        try:
            relay.tick(time.time())
            refusals.flush()  # "N more refusals suppressed" once a flood is over
        except Exception:
            logger.exception("upkeep failed")


def _follow_shared_changes(
    changes: SharedChanges,
    relay: Relay,
    settings: Options,
    options_changed: Callable[[list[str]], None],
) -> None:
    """Another node changed options or accounts: this node follows within a second
    (hub/changes.py): the values are taken again and acted on as after a change here; an
    account disabled there loses its sockets here as well."""

    def accounts_changed(doc_ids: list[int] | None) -> None:
        for account in relay.accounts.accounts_changed(doc_ids):
            if account.get("disabled"):
                close_agent_sockets(
                    relay, account["username"], "account disabled", CloseCode.ACCOUNT_DISABLED
                )

    changes.listen("options", lambda doc_ids: options_changed(settings.reload()))
    changes.listen("accounts", accounts_changed)
    changes.listen("tokens", relay.accounts.tokens_changed)
    changes.listen("invitations", relay.invitations_changed)
    follow_agent_socket_notices(relay)  # a password reset there closes the sockets here


def _adopt_mail_forever(
    adoption: MailAdoption, wait_durable: Callable[[], object], wake: Callable[[], None]
) -> None:
    """Once a second: the mails of nodes that died since are adopted (mail/adoption.py)."""
    while True:
        gevent.sleep(ADOPT_POLL_S)
        try:
            counts = adoption.poll(time.time())
        except HubError:
            continue  # the hub is away: the next look
        except Exception:
            logger.exception("a dead node's mails could not be adopted")
            continue
        if counts:
            wait_durable()
            if counts["adopted"]:
                logger.info("mails of a dead node adopted", extra=counts)
                wake()
