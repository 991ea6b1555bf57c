"""The shared UI modules, loaded as the pages load them, checked in the browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.support.ui_pages import PageFactory, by_id, start_support

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


@pytest.fixture
def relay(shared_relay):
    """One relay for the module: the tests load its pages, and the one that joins opens its own
    support and customer."""
    return shared_relay


def test_protocol_module_encodes_and_rejects_bad_frames(open_ui: PageFactory) -> None:
    """encode() adds the type, decode() keeps unknown fields and refuses non-objects."""
    page = open_ui("/")
    result = page.evaluate(
        """async () => {
            const p = await import("/ui/common/protocol.js");
            const errorOf = (fn) => { try { fn(); return null; } catch (e) { return e.name; } };
            return {
                encoded: JSON.parse(p.encode(p.MessageType.TYPING, { active: true })),
                decoded: p.decode('{"type": "typing", "active": false, "later": 1}'),
                notJson: errorOf(() => p.decode("{")),
                array: errorOf(() => p.decode("[1]")),
                noType: errorOf(() => p.decode('{"text": "hi"}')),
                unknownType: errorOf(() => p.encode("shout", {})),
                frozen: Object.isFrozen(p.MessageType) && Object.isFrozen(p.CloseCode),
                terminal: [4000, 4001, 4002, 4003, 4004, 4005].every(p.isTerminalClose),
                retried: [1000, 1001, 1006, 1009, 4006].some(p.isTerminalClose),
            };
        }"""
    )
    assert result["encoded"] == {"type": "typing", "active": True}
    assert result["decoded"] == {"type": "typing", "active": False, "later": 1}
    assert result["notJson"] == result["array"] == result["noType"] == "ProtocolError"
    assert result["unknownType"] == "ProtocolError"
    assert result["frozen"] and result["terminal"] and not result["retried"]


STRING_TABLES = sorted(p.name for p in (ROOT / "ui" / "common" / "strings").glob("*.js"))


def test_every_string_exists_in_english_and_korean(open_ui: PageFactory) -> None:
    """Every table in ui/common/strings/ has the same keys in Korean as in English, with the
    same {parameters}, and no key is defined by two tables."""
    page = open_ui("/")
    problems = page.evaluate(
        """async (files) => {
            const params = (text) => (text.match(/\\{\\w+\\}/g) ?? []).sort().join(",");
            const problems = [];
            const owner = new Map();
            for (const file of files) {
                const module = await import(`/ui/common/strings/${file}`);
                const tables = Object.values(module);
                if (tables.length !== 1) problems.push(`${file} exports ${tables.length} tables`);
                for (const table of tables) {
                    for (const [a, b] of [["en", "ko"], ["ko", "en"]]) {
                        for (const key of Object.keys(table[a])) {
                            if (!(key in table[b])) problems.push(`${file}: ${key} not in ${b}`);
                            else if (params(table[a][key]) !== params(table[b][key]))
                                problems.push(`${file}: ${key}: parameters differ`);
                        }
                    }
                    for (const key of Object.keys(table.en)) {
                        if (owner.has(key)) problems.push(`${key}: ${owner.get(key)}, ${file}`);
                        owner.set(key, file);
                    }
                }
            }
            return problems;
        }""",
        STRING_TABLES,
    )
    assert len(STRING_TABLES) >= 10
    assert problems == []


# The string tables each page loads (besides common_strings.js, which every page has).
PAGE_TABLES = {
    "/": {
        "call",
        "chat",
        "customer",
        "favourite",
        "file",
        "knock",
        "participant",
        "recording",
        "reservation",
        "screen",
        "whiteboard",
    },
    "/agent": {
        "account",
        "agent",
        "attention",
        "browser_present",
        "call",
        "chat",
        "control",
        "desk",
        "desktop_call",
        "drawing",
        "favourite",
        "file",
        "history",
        "idle",
        "knock",
        "mail",
        "participant",
        "recording",
        "reservation",
        "screen",
        "sign_in",
        "whiteboard",
    },
    "/view": {
        "call",
        "chat",
        "control",
        "drawing",
        "favourite",
        "file",
        "recording",
        "screen",
        "viewer_chat",
        "whiteboard",
    },
    "/admin": {"admin", "history", "mail", "options", "sign_in", "statistics"},
    "/ui/agent/notice.html": {"agent", "desk", "desktop_call", "file"},
    "/ui/agent/help.html": {"agent", "desk"},
}


@pytest.mark.parametrize("path", sorted(PAGE_TABLES))
def test_each_page_loads_only_its_own_strings(open_ui: PageFactory, path: str) -> None:
    """A page has exactly the keys of common_strings.js plus its own tables (the customer page
    has no agent or admin string), and every data-i18n key of its markup is among them."""
    page = open_ui(path)
    result = page.evaluate(
        """async (files) => {
            const { i18n } = await import("/ui/common/i18n.js");
            const loaded = new Set(i18n.keys("en"));
            const owner = {};
            for (const file of files) {
                const module = await import(`/ui/common/strings/${file}`);
                for (const key of Object.keys(Object.values(module)[0].en)) owner[key] = file;
            }
            const tables = new Set([...loaded].map((key) => owner[key] ?? `unknown ${key}`));
            const markup = new Set();
            for (const el of document.querySelectorAll("*")) {
                for (const name of ["i18n", "i18nPlaceholder", "i18nAriaLabel", "i18nTitle"]) {
                    if (el.dataset[name]) markup.add(el.dataset[name]);
                }
            }
            const complete = [...Object.entries(owner)].filter(([, f]) => tables.has(f)).length;
            return {
                tables: [...tables].sort(),
                missing: [...markup].filter((key) => !loaded.has(key)),
                partial: complete !== loaded.size,
                ko: i18n.keys("ko").length === loaded.size,
            };
        }""",
        STRING_TABLES,
    )
    expected = sorted(f"{name}_strings.js" for name in PAGE_TABLES[path] | {"common"})
    assert result["tables"] == expected
    assert result["missing"] == []
    assert not result["partial"] and result["ko"]


def test_customer_can_join_with_the_keyboard_alone(agent_page: Page, open_ui: PageFactory) -> None:
    """The code box has focus on arrival; typing, Tab, a name and Enter join the chat."""
    code = start_support(agent_page)
    customer = open_ui("/")
    expect(by_id(customer, "code-input")).to_be_focused()
    customer.keyboard.type(code)
    customer.keyboard.press("Tab")
    expect(by_id(customer, "name-input")).to_be_focused()
    customer.keyboard.type("Kim")
    customer.keyboard.press("Enter")
    expect(by_id(customer, "chat-input")).to_be_focused()
    expect(by_id(agent_page, "chat-peer-name")).to_have_text("Kim")

    # Escape closes the end dialog without ending anything. The agent sees the name once the
    # join is answered; End waits for the customer's socket (disabled until then).
    expect(by_id(customer, "end-button")).to_be_enabled()
    by_id(customer, "end-button").focus()
    customer.keyboard.press("Enter")
    expect(by_id(customer, "end-confirm")).to_be_visible()
    customer.keyboard.press("Escape")
    expect(by_id(customer, "end-confirm")).to_be_hidden()
    expect(by_id(customer, "connection-status")).to_have_attribute("data-status", "online")


# text → the links linkify() finds in it: (link text, href)
LINK_CASES = [
    ("see https://example.com/a.", [("https://example.com/a", "https://example.com/a")]),
    ("HTTP://EXAMPLE.COM/X", [("HTTP://EXAMPLE.COM/X", "http://example.com/X")]),
    ("(https://example.com/p(1)), ok", [("https://example.com/p(1)", "https://example.com/p(1)")]),
    (
        "가격표: https://example.com/가격。",
        [("https://example.com/가격", "https://example.com/%EA%B0%80%EA%B2%A9")],
    ),
    (
        "a https://x.example/1, b http://y.example/2!",
        [
            ("https://x.example/1", "https://x.example/1"),
            ("http://y.example/2", "http://y.example/2"),
        ],
    ),
    ("javascript:alert(1)", []),
    # Only the https URL inside is a link, and its href is https: the script stays text.
    ("JaVaScRiPt:alert(1)//https://x", [("https://x", "https://x/")]),
    ("data:text/html,<script>alert(1)</script>", []),
    ("file:///etc/passwd", []),
    ("hxxps://evil.example", []),
    ("xhttps://evil.example", []),
    ("https:/evil.example and https:evil.example", []),
    ("\u04bbttps://evil.example", []),  # a Cyrillic look-alike h
    ("https://bank.example@evil.example/login", []),
    ("https://", []),
    ("https://" + "a" * 2100 + ".example", []),
    ('"https://q.example/x"', [("https://q.example/x", "https://q.example/x")]),
    ("<https://q.example/y>", [("https://q.example/y", "https://q.example/y")]),
]


def test_linkify_makes_links_only_of_http_and_https(open_ui: PageFactory) -> None:
    """linkify() (ui/common/chat/linkify.js) links only http(s) URLs with a host and no user
    name, without trailing punctuation or unmatched brackets, never longer than 2048 chars;
    its parts always join back into the text."""
    page = open_ui("/")
    results = page.evaluate(
        """async (texts) => {
            const { linkify } = await import("/ui/common/chat/linkify.js");
            return texts.map((text) => {
                const parts = linkify(text);
                return {
                    joined: parts.map((p) => p.text).join("") === text,
                    links: parts.filter((p) => p.href !== undefined).map((p) => [p.text, p.href]),
                };
            });
        }""",
        [text for text, _ in LINK_CASES],
    )
    for (text, expected), got in zip(LINK_CASES, results, strict=True):
        assert got["joined"], text
        assert [tuple(link) for link in got["links"]] == expected, text[:80]


def test_favourites_and_print_rules_in_the_pages(open_ui: PageFactory) -> None:
    """The pure rules behind Settings › Favourites, the Favourites menu and remote print: a link
    needs a title and an http(s) URL as linkify links it, a path must be full, a move stays in
    the list, only PDF and browser images print, and a card is built only for a safe URL."""
    page = open_ui("/")
    paths = ["/srv/a", "~/Docs", "C:\\Tools\\x.exe", "\\\\nas\\share", "docs/a", ""]
    result = page.evaluate(
        """async (paths) => {
            const fav = await import("/ui/agent/favourites.js");
            const menu = await import("/ui/agent/favourites_menu.js");
            const print = await import("/ui/common/print/print_document.js");
            const { linkCard } = await import("/ui/common/chat/chat_bubble.js");
            const i18n = { t: (key) => key };
            const link = (title, url) => fav.linkProblem({ title, url });
            const card = (url) => linkCard({ title: "Shop", url }, i18n)?.getAttribute("href");
            return {
                links: [
                    link("Shop", "https://shop.example/a?b"),
                    link(" ", "https://shop.example/"),
                    link("x", "javascript:alert(1)"),
                    link("x", "https://bank.example@evil.example/"),
                    link("x", "https://a.example/a b"),
                ],
                paths: paths.map(fav.pathProblem),
                moved: [[0, 1], [0, -1], [2, 1]].map(([i, step]) => fav.moved([1, 2, 3], i, step)),
                kinds: ["application/pdf", "image/png", "image/svg+xml", "text/html"]
                    .map(print.printKind),
                printable: ["a.PDF", "b.jpeg", "c.svg", "d"].map(menu.printable),
                cards: ["https://shop.example/x", "javascript:alert(1)", "https://u@evil.example/"]
                    .map((url) => card(url) ?? null),
            };
        }""",
        paths,
    )
    assert result["links"] == [None, "fav.bad_title", "fav.bad_url", "fav.bad_url", "fav.bad_url"]
    assert result["paths"] == [None, None, None, None, "fav.bad_path", "fav.bad_path"]
    assert result["moved"] == [[2, 1, 3], [1, 2, 3], [1, 2, 3]]
    assert result["kinds"] == ["pdf", "image", None, None]
    assert result["printable"] == [True, True, False, False]
    assert result["cards"] == ["https://shop.example/x", None, None]


@pytest.mark.parametrize("path", ["/", "/agent", "/view"])
def test_a_page_preloads_exactly_the_modules_it_loads(open_ui: PageFactory, path: str) -> None:
    """The relay's modulepreload links name every module the page fetches by its load event
    and nothing else, and each is fetched once (the preload is the fetch the import uses)."""
    page = open_ui(path)
    result = page.evaluate(
        """() => {
            const entry = document.querySelector('script[type="module"]').src;
            const scripts = performance.getEntriesByType("resource")
                .map((r) => r.name).filter((name) => name.endsWith(".js") && name !== entry);
            const links = [...document.querySelectorAll('link[rel="modulepreload"]')];
            return { scripts, preloaded: links.map((link) => link.href) };
        }"""
    )
    assert len(result["scripts"]) == len(set(result["scripts"])) > 20
    assert sorted(result["scripts"]) == sorted(result["preloaded"])
