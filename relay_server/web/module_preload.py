"""A page's ES-module graph, announced in its HTML as ``<link rel="modulepreload">``.

Without it the browser finds the agent page's ~140 modules one import level at a time: it
fetches ``main.js``, parses it, fetches what it imports, parses those, and so on, ten levels
deep. With every module of the static graph listed in the page's head it asks for all of them
at once while the HTML is still being parsed (docs/performance.md, "A page load"). The files
in ``ui/`` stay plain ES modules, as the desktop windows load them.

Pure: the caller passes a ``read(path)`` that returns a ``ui/`` file's text (paths relative to
``ui/``, as in ``/ui/<path>`` addresses).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

UI_PREFIX = "/ui/"
# A static import or re-export at the start of a statement: ``import x from "./a.js"``,
# ``import "./b.js"``, ``export { y } from "../c.js"`` (over several lines too). JSDoc's
# ``{import("./d.js").T}`` and dynamic ``import()`` are not matched.
_STATIC_IMPORT = re.compile(
    r"""^[ \t]*(?:import|export)(?:[ \t\n]+[^'";]*?[ \t\n]from)?[ \t\n]*["']([^"']+)["']""",
    re.MULTILINE,
)
# The page's entry module: ``<script type="module" src="/ui/agent/main.js"></script>``.
_ENTRY_SCRIPT = re.compile(r"""<script type="module" src="/ui/([^"]+)"></script>\n?""")


def static_imports(source: str) -> list[str]:
    """The specifiers a module imports statically, in source order."""
    return _STATIC_IMPORT.findall(source)


def module_graph(entry: str, read: Callable[[str], str]) -> list[str]:
    """Every module ``entry`` imports, directly or not, in the order the browser finds them
    (breadth first), without ``entry``; paths relative to ``ui/``.

    Raises:
        ValueError: a specifier that is not relative (``"./"``, ``"../"``) or leaves ``ui/``.
    """
    seen = {entry}
    order: list[str] = []
    queue = [entry]
    while queue:
        current = queue.pop(0)
        for specifier in static_imports(read(current)):
            if not specifier.startswith(("./", "../")):
                raise ValueError(f"{current} imports {specifier!r}: only relative imports")
            path = posixpath.normpath(posixpath.join(posixpath.dirname(current), specifier))
            if path.startswith("../"):
                raise ValueError(f"{current} imports {specifier!r}, outside ui/")
            if path not in seen:
                seen.add(path)
                order.append(path)
                queue.append(path)
    return order


def with_module_preloads(html: str, read: Callable[[str], str]) -> str:
    """``html`` with a ``modulepreload`` link for every module its entry script imports,
    after that script's tag; a page without an entry module is returned as it is."""
    match = _ENTRY_SCRIPT.search(html)
    if match is None:
        return html
    indent = html[html.rfind("\n", 0, match.start()) + 1 : match.start()]
    links = "".join(
        f'{indent}<link rel="modulepreload" href="{UI_PREFIX}{path}" />\n'
        for path in module_graph(match.group(1), read)
    )
    return html[: match.end()] + links + html[match.end() :]
