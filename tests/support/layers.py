"""The layers of the Python code: which layer each module is in, and what each layer may import.

The one place these rules live. ``tests/unit/test_layers.py`` reads every module's imports (with
``ast``, imports inside functions included) and fails when one breaks a rule or is in no layer;
``scripts/gen_layers_doc.py`` writes the *Layers* table of ``docs/architecture.md`` from the
same lists (:func:`layers_table`), and the test fails when the doc's table differs.

The rules:

- Layers are ordered (:data:`LAYERS`, lowest first). A module imports modules of its own layer or
  of a lower one, never of a higher one (a pure core never imports a shell).
- :data:`IO_LIBRARIES` are the libraries that reach the outside world. The layers below the I/O
  shells import none of them, except what their layer allows (``Layer.may_use``: the storage
  layer writes files with ``tinydb``, ``fcntl``, ``shutil`` and talks to PostgreSQL with
  ``psycopg``; the domain uses only the store interface).
- ``threading``: below the shells, only ``threading.Lock`` / ``RLock``. A lock guards a core's own
  state when a threaded shell calls it (the agent's activity log, the presenter's status,
  remote control's grant) and never waits on the outside world; a thread, a timer or an event
  that a core waits on is I/O scheduling and belongs in a shell.
- Package folders do not make layers: ``relay_server/web/`` holds a pure module
  (``authorization``) beside the Bottle routes. Only modules count; an ``__init__.py`` that holds
  nothing but a docstring is a package marker and belongs to no layer.
- The relay imports from ``suite`` only :data:`RELAY_MAY_IMPORT` (the wire contract and a few
  shared helpers), and those import nothing else of ``suite``; ``suite`` never imports
  ``relay_server``; only ``suite/agent/`` imports ``suite.agent`` (so the one-time viewer, which
  is shipped alone, carries none of the agent app, not even through a shared module).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

# Libraries that reach the outside world (network, processes, windows, screens, input, disks,
# signals). Matched as a whole name or a prefix: ``urllib.request`` is here, ``urllib.parse`` is
# not; ``websockets.sync.client`` matches ``websockets``.
IO_LIBRARIES: dict[str, str] = {
    "gevent": "the relay's event loop and its sockets",
    "geventwebsocket": "websocket server",
    "bottle": "HTTP routes",
    "wsgiref": "HTTP server",
    "socketserver": "network server",
    "tinydb": "the database file",
    "psycopg": "the PostgreSQL database",
    "psycopg_pool": "the PostgreSQL database's connections",
    "fcntl": "file locks",
    "shutil": "file copies and deletes",
    "socket": "network",
    "ssl": "network",
    "select": "waits on file descriptors",
    "selectors": "waits on file descriptors",
    "signal": "process signals",
    "subprocess": "child processes",
    "multiprocessing": "child processes",
    "asyncio": "an event loop",
    "queue": "blocking hand-over between threads",
    "atexit": "process exit",
    "requests": "HTTP client",
    "urllib.request": "HTTP client",
    "http.client": "HTTP client",
    "http.server": "HTTP server",
    "websockets": "websocket client",
    "webbrowser": "opens the system browser",
    "webview": "pywebview windows",
    "PyQt6": "Qt windows",
    "qtpy": "Qt windows",
    "jeepney": "the D-Bus session bus",
    "gi": "GTK windows",
    "mss": "screen capture",
    "Xlib": "the X server",
    "pyautogui": "input injection",
    "ctypes": "native libraries",
    "smtplib": "mail servers",
    "keyring": "the OS keyring",
    "pypac": "proxy auto-configuration (PAC files, WPAD)",
}

# What ``threading`` names a module below the shells may use (see the module docstring).
PURE_THREADING_NAMES = frozenset({"Lock", "RLock"})


@dataclass(frozen=True)
class Layer:
    """One layer: its name, what it is for, the I/O libraries it may use, its modules."""

    name: str
    summary: str
    modules: tuple[str, ...]
    may_use: frozenset[str] = frozenset()
    # Shells and entry points may import any library; the lower layers only ``may_use``.
    any_library: bool = False


CONTRACT = Layer(
    "wire contract",
    "what both ends of a connection agree on: messages, codes, limits, the frame header, the "
    "stroke model; the relay and every client import it. Pure.",
    (
        "suite.protocol",
        "suite.protocol.base",
        "suite.protocol.calls",
        "suite.protocol.chat",
        "suite.protocol.control",
        "suite.protocol.drawing",
        "suite.protocol.knocks",
        "suite.protocol.relay_messages",
        "suite.protocol.safe_json",
        "suite.protocol.screen",
        "suite.protocol.session_reservation",
        "suite.protocol.sharing",
        "suite.protocol.wrong_node",
        "suite.screen.frames",
        "suite.screen.video_frame",
        "suite.strokes",
        "suite.protocol.whiteboard",
        "suite.whiteboard.model",
    ),
)

PURE_CORE = Layer(
    "pure core",
    "rules and state machines: plain Python objects that take the time and callbacks as "
    "arguments; no sockets, files, processes or windows. Unit-tested in microseconds.",
    (
        "relay_server.accounts.agent_data_rules",
        "relay_server.accounts.favourites_rules",
        "relay_server.accounts.fields",
        "relay_server.accounts.handoffs",
        "relay_server.accounts.passwords",
        "relay_server.admin.online",
        "relay_server.admin.rules",
        "relay_server.errors",
        "relay_server.files.transfers",
        "relay_server.history.index",
        "relay_server.history.statistics",
        "relay_server.history.usage",
        "relay_server.mail.addresses",
        "relay_server.mail.pacing",
        "relay_server.mail.settings",
        "relay_server.mail.templates",
        "relay_server.store.commit_stats",
        "relay_server.store.fencing",
        "relay_server.options.catalog",
        "relay_server.options.live",
        "relay_server.options.specs",
        "relay_server.reservations.ics",
        "relay_server.reservations.mails",
        "relay_server.reservations.model",
        "relay_server.reservations.rules",
        "relay_server.reservations.reminders",
        "relay_server.screen.control_grants",
        "relay_server.screen.drawing_board",
        "relay_server.screen.fanout",
        "relay_server.screen.video_fanout",
        "relay_server.screen.router",
        "relay_server.calls.calls",
        "relay_server.whiteboard.render",
        "relay_server.calls.ice_servers",
        "relay_server.sessions.access_codes",
        "relay_server.sessions.icon_numbers",
        "relay_server.sessions.join_guard",
        "relay_server.sessions.knocks",
        "relay_server.sessions.invitations",
        "relay_server.sessions.rooms",
        "relay_server.sessions.shown_icons",
        "relay_server.sessions.supports",
        "relay_server.throttle",
        "relay_server.viewer.tickets",
        "relay_server.web.authorization",
        "relay_server.web.connection_limits",
        "relay_server.web.module_preload",
        "relay_server.web.proxy_headers",
        "suite.agent.app.activity",
        "suite.agent.app.call_gate",
        "suite.agent.app.errors",
        "suite.agent.overlay.board",
        "suite.agent.presenter.commands",
        "suite.agent.presenter.status",
        "suite.control.input_map",
        "suite.control.remote_control",
        "suite.errors",
        "suite.files.names",
        "suite.recording.rules",
        "suite.net.policy",
        "suite.resources",
        "suite.screen.encoders",
        "suite.screen.errors",
        "suite.screen.masks",
        "suite.screen.refresh",
        "suite.screen.regions",
        "suite.screen.settle",
        "suite.screen.stream",
        "suite.screen.tile_kinds",
        "suite.screen.tiles",
        "suite.screen.video.encoder",
        "suite.screen.video.motion",
        "suite.screen.video.hybrid",
    ),
)

STORAGE = Layer(
    "storage",
    "the relay's store (its interface; TinyDB files and journal, or PostgreSQL through "
    "psycopg), the hub of live shared state (its interface, and in process), files on "
    "disk written atomically: spool files, photos, the agent's settings "
    "file, the viewer's ticket trailer. No event loop of its own.",
    (
        "relay_server.accounts.favourites",
        "relay_server.accounts.photos",
        "relay_server.files.kept",
        "relay_server.files.spool",
        "relay_server.history.archive",
        "relay_server.history.export",
        "relay_server.history.pg_archive",
        "relay_server.history.statistics_export",
        "relay_server.history.xlsx_stream",
        "relay_server.hub",
        "relay_server.hub.interface",
        "relay_server.hub.local",
        "relay_server.store",
        "relay_server.password_file",
        "relay_server.store.choice",
        "relay_server.store.interface",
        "relay_server.store.journal",
        "relay_server.store.node_reads",
        "relay_server.store.postgres",
        "relay_server.store.readiness",
        "relay_server.store.shared_files",
        "relay_server.store.store",
        "relay_server.viewer.builds",
        "relay_server.whiteboard.images",
        "suite.agent.app.desktop_shortcut",
        "suite.agent.app.settings",
        "suite.atomic_files",
        "suite.version",
        "suite.viewer.ticket_trailer",
    ),
    may_use=frozenset({"tinydb", "psycopg", "psycopg_pool", "fcntl", "shutil"}),
)

DOMAIN = Layer(
    "domain",
    "the relay's sessions, accounts, chat log and notes over the store interface (no TinyDB "
    "or SQL here); blocks only in the injected `wait_durable` and `hasher`.",
    (
        "relay_server.accounts.agent_data",
        "relay_server.accounts.registry",
        "relay_server.accounts.token_budget",
        "relay_server.history.handover",
        "relay_server.history.history",
        "relay_server.hub.changes",
        "relay_server.mail.adoption",
        "relay_server.mail.outbox",
        "relay_server.options.options",
        "relay_server.reservations.mailer",
        "relay_server.sessions.admission",
        "relay_server.sessions.agent_icons",
        "relay_server.sessions.chat_log",
        "relay_server.sessions.chat_sockets",
        "relay_server.sessions.meeting_handlers",
        "relay_server.sessions.notes",
        "relay_server.sessions.relay",
        "relay_server.sessions.seats",
        "relay_server.sessions.session_files",
        "relay_server.whiteboard.boards",
        "relay_server.reservations.service",
        "relay_server.reservations.meeting_links",
        "relay_server.sessions.sharing",
        "relay_server.sessions.takeover",
    ),
)

IO_SHELL = Layer(
    "I/O shell",
    "moves bytes and events between the outside world and the cores: Bottle routes, the "
    "websocket endpoint, the gevent server, the Redis hub, the local API, windows, capture, "
    "injection, child processes.",
    (
        "relay_server.accounts.routes",
        "relay_server.web.takeover_gate",
        "relay_server.hub.choice",
        "relay_server.hub.redis_hub",
        "relay_server.accounts.favourites_routes",
        "relay_server.reservations.routes",
        "relay_server.accounts.handoff_routes",
        "relay_server.admin.routes",
        "relay_server.files.routes",
        "relay_server.history.export_process",
        "relay_server.history.routes",
        "relay_server.whiteboard.routes",
        "relay_server.history.statistics_routes",
        "relay_server.logs",
        "relay_server.mail.commit_journal",
        "relay_server.mail.delivery",
        "relay_server.mail.loop_slices",
        "relay_server.mail.routes",
        "relay_server.mail.sender",
        "relay_server.mail.smtp_client",
        "relay_server.mail.worker",
        "relay_server.mail.worker_client",
        "relay_server.reservations.mail_routes",
        "relay_server.reservations.reminder_loop",
        "relay_server.options.routes",
        "relay_server.store.committer",
        "relay_server.viewer.routes",
        "relay_server.web.app",
        "relay_server.web.gc_pauses",
        "relay_server.web.gc_policy",
        "relay_server.web.http_bodies",
        "relay_server.web.http_server",
        "relay_server.web.pages",
        "relay_server.web.refusals",
        "relay_server.web.server",
        "relay_server.web.websocket_speedups",
        "relay_server.web.ws_endpoint",
        "suite.agent.app.local_api",
        "suite.agent.app.local_attention",
        "suite.agent.app.local_calls",
        "suite.agent.app.local_desk",
        "suite.agent.app.local_favourites",
        "suite.agent.app.local_files",
        "suite.agent.app.local_history",
        "suite.agent.app.local_network",
        "suite.agent.app.network_settings",
        "suite.agent.app.relay_tunnel",
        "suite.agent.app.local_guard",
        "suite.agent.app.local_presentation",
        "suite.agent.app.local_recordings",
        "suite.agent.app.local_server",
        "suite.agent.app.local_state",
        "suite.agent.app.presentations",
        "suite.agent.app.presenting_desktop",
        "suite.agent.app.relay_client",
        "suite.agent.app.shell",
        "suite.agent.app.signal_watch",
        "suite.agent.app.system_notifications",
        "suite.agent.app.web_permissions",
        "suite.agent.app.window_alert",
        "suite.agent.overlay.link",
        "suite.agent.overlay.window",
        "suite.agent.presenter.channel",
        "suite.agent.presenter.control",
        "suite.agent.presenter.drawing",
        "suite.agent.presenter.loop",
        "suite.agent.presenter.recording",
        "suite.agent.presenter.runner",
        "suite.child_processes",
        "suite.control.hotkey",
        "suite.control.injector",
        "suite.files.client",
        "suite.net.connect",
        "suite.net.serial_tls",
        "suite.files.file_manager",
        "suite.http_json",
        "suite.screen.capture",
        "suite.recording.recorder",
        "suite.recording.webm_writer",
        "suite.screen.damage_x11",
        "suite.screen.pointer",
        "suite.screen.sources",
        "suite.screen.video.libvpx",
        "suite.screen.windows_x11",
        "suite.viewer.app",
        "suite.viewer.page_proxy",
        "suite.viewer.received_files",
        "suite.viewer.redeem",
        "suite.viewer.self_delete",
    ),
    any_library=True,
)

ENTRY_POINT = Layer(
    "entry point",
    "`python -m ...` and CLIs: parse arguments, build the shells around the cores, run.",
    (
        "relay_server.__main__",
        "relay_server.accounts.users_cli",
        "relay_server.store.migrate",
        "suite.agent.__main__",
        "suite.agent.overlay.__main__",
        "suite.agent.presenter.__main__",
        "suite.agent.presenter.cli",
        "suite.viewer.__main__",
    ),
    any_library=True,
)

# Lowest first: a module may import its own layer and the ones before it.
LAYERS: tuple[Layer, ...] = (CONTRACT, PURE_CORE, STORAGE, DOMAIN, IO_SHELL, ENTRY_POINT)

# The only suite modules the relay may import (each imports nothing else of suite).
RELAY_MAY_IMPORT: tuple[str, ...] = (
    *CONTRACT.modules,
    "suite.atomic_files",
    "suite.files.names",
    "suite.http_json",
    "suite.resources",
    "suite.version",
    "suite.viewer.ticket_trailer",
)

TABLE_BEGIN = (
    "<!-- layers table: generated by scripts/gen_layers_doc.py from tests/support/layers.py -->"
)
TABLE_END = "<!-- end of the layers table -->"


def layer_of(module: str) -> Layer | None:
    """The layer ``module`` (dotted name) is listed in, or None."""
    for layer in LAYERS:
        if module in layer.modules:
            return layer
    return None


def module_path(module: str) -> str:
    """``suite/protocol/__init__.py`` for the package ``suite.protocol``, else ``a/b/c.py``."""
    path = module.replace(".", "/")
    return f"{path}/__init__.py" if (REPO_ROOT / path / "__init__.py").exists() else f"{path}.py"


def _grouped(modules: tuple[str, ...]) -> str:
    """```relay_server/sessions/` `rooms.py`, `supports.py`; ...``: one group per folder."""
    folders: dict[str, list[str]] = {}
    paths = sorted(
        (module_path(module) for module in modules), key=lambda p: (p.rpartition("/")[0], p)
    )
    for path in paths:
        folder, _, name = path.rpartition("/")
        folders.setdefault(folder, []).append(name)
    groups = []
    for folder, names in folders.items():
        shown = ", ".join(f"`{name}`" for name in names)
        groups.append(f"`{folder}/` {shown}")
    return "; ".join(groups)


def _relay_may_import_paths() -> list[str]:
    """RELAY_MAY_IMPORT as paths, with ``suite/protocol/`` for the whole package."""
    paths = []
    for module in RELAY_MAY_IMPORT:
        if module.startswith("suite.protocol"):
            module = "suite.protocol"
        path = module_path(module).removesuffix("__init__.py")
        if path not in paths:
            paths.append(path)
    return sorted(paths)


def layers_table() -> str:
    """The *Layers* table of docs/architecture.md, markers included (what the doc must hold)."""
    lines = [
        TABLE_BEGIN,
        "| layer | what it is | may also use | modules |",
        "|---|---|---|---|",
    ]
    for layer in LAYERS:
        if layer.any_library:
            uses = "anything"
        else:
            uses = ", ".join(f"`{name}`" for name in sorted(layer.may_use)) or "no I/O library"
        lines.append(f"| {layer.name} | {layer.summary} | {uses} | {_grouped(layer.modules)} |")
    lines += [
        "",
        "I/O libraries (only the shells and entry points import them, except as the *may also "
        "use* column says): " + ", ".join(f"`{name}`" for name in IO_LIBRARIES) + ".",
        "",
        "The relay imports from `suite/` only: "
        + ", ".join(f"`{path}`" for path in _relay_may_import_paths())
        + ".",
        TABLE_END,
    ]
    return "\n".join(lines) + "\n"
