"""A page's module graph, read from its modules' static imports, and its preload links."""

from __future__ import annotations

from pathlib import Path

import pytest

from relay_server.web.module_preload import module_graph, static_imports, with_module_preloads

UI = Path(__file__).resolve().parents[2] / "ui"


def _reader(files: dict[str, str]):
    return lambda path: files[path]


@pytest.mark.parametrize(
    ("source", "imports"),
    [
        ('import { a } from "./a.js";', ["./a.js"]),
        ("import b from '../b.js';", ["../b.js"]),
        ('import "./strings.js";', ["./strings.js"]),
        ('import {\n  one,\n  two,\n} from "./many.js";', ["./many.js"]),
        ('import * as all from "./all.js";', ["./all.js"]),
        ('export { c } from "./c.js";\nexport * from "./d.js";', ["./c.js", "./d.js"]),
        ('  import { e } from "./e.js";', ["./e.js"]),
        ('/** @param {import("./typed.js").T} t */', []),
        ('const m = await import("./later.js");', []),
        ('// import { x } from "./commented.js";', []),
        ('export const importFrom = "x";\nexport function f() {}', []),
        ('const text = "import me";', []),
    ],
)
def test_static_imports_are_read_and_nothing_else(source: str, imports: list[str]) -> None:
    """Every form of static import or re-export is found, over several lines too; dynamic
    imports, JSDoc types and comments are not."""
    assert static_imports(source) == imports


def test_the_graph_is_breadth_first_without_repeats_or_the_entry() -> None:
    """Modules come in the order the browser finds them, each once, cycles included."""
    files = {
        "page/main.js": 'import "./a.js";\nimport { x } from "../common/x.js";',
        "page/a.js": 'import { x } from "../common/x.js";\nimport "./b.js";',
        "common/x.js": 'import "../page/main.js";',
        "page/b.js": "export const b = 1;",
    }
    assert module_graph("page/main.js", _reader(files)) == ["page/a.js", "common/x.js", "page/b.js"]


@pytest.mark.parametrize("specifier", ["/ui/common/x.js", "vendor-lib", "../../outside.js"])
def test_an_import_the_relay_cannot_resolve_is_refused(specifier: str) -> None:
    """Only relative imports inside ui/ are followed; anything else is an error to fix."""
    files = {"page/main.js": f'import "{specifier}";'}
    with pytest.raises(ValueError, match="imports"):
        module_graph("page/main.js", _reader(files))


def test_the_links_follow_the_entry_script_at_its_indent() -> None:
    """One modulepreload link per module of the graph, after the page's module script."""
    html = '<head>\n    <script type="module" src="/ui/page/main.js"></script>\n  </head>\n'
    files = {"page/main.js": 'import "./a.js";', "page/a.js": 'import "../common/b.js";',
             "common/b.js": ""}  # fmt: skip
    assert with_module_preloads(html, _reader(files)) == (
        "<head>\n"
        '    <script type="module" src="/ui/page/main.js"></script>\n'
        '    <link rel="modulepreload" href="/ui/page/a.js" />\n'
        '    <link rel="modulepreload" href="/ui/common/b.js" />\n'
        "  </head>\n"
    )
    assert with_module_preloads("<p>no script</p>", _reader(files)) == "<p>no script</p>"


@pytest.mark.parametrize("page", ["agent", "customer", "viewer"])
def test_each_page_of_the_relay_has_one_entry_module_and_a_resolvable_graph(page: str) -> None:
    """The real pages: every module the entry reaches exists, and each is listed once."""
    read = lambda path: (UI / path).read_text(encoding="utf-8")  # noqa: E731
    html = with_module_preloads(read(f"{page}/index.html"), read)
    links = [line for line in html.splitlines() if 'rel="modulepreload"' in line]
    graph = module_graph(f"{page}/main.js", read)
    assert len(links) == len(set(links)) == len(graph) > 20
