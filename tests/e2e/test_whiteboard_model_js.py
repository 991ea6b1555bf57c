"""The whiteboard model in the browser (ui/common/whiteboard/model.js) runs the same shared
table of cases as the Python model, and the seeded simulation ends in the same boards."""

from __future__ import annotations

import pytest

from tests.support.whiteboard_sim import SIM_JS, load_cases, simulate

pytestmark = pytest.mark.e2e

RUN_CASES = """async (cases) => {
  const m = await import('/ui/common/whiteboard/model.js');
  const board = (elements) => new Map(elements.map((e) => [e.id, e]));
  const fingerprint = (b) => [...b.values()].map((e) => [e.id, e.version, e.nonce]).sort();
  const reconciled = cases.reconcile.map((c) => {
    const { board: merged, changed } = m.reconcile(board(c.local), c.remote);
    return { board: fingerprint(merged), changed: changed.map((e) => e.id),
             live: m.live(merged).map((e) => e.id) };
  });
  const checked = cases.elements.map((c) => {
    try {
      const element = m.checkElement(c.element);
      return { error: null, same: JSON.stringify(element) === JSON.stringify(c.element) };
    } catch (error) {
      return { error: error.code ?? String(error), same: false };
    }
  });
  const bounds = cases.bounds.map((c) => m.bounds(c.element));
  return { reconciled, checked, bounds };
}"""


def test_the_js_model_follows_the_shared_table(open_ui):
    """Every reconcile, element and bounds case gives in the browser what the table says."""
    cases = load_cases()
    page = open_ui("/")
    got = page.evaluate(RUN_CASES, cases)
    for case, result in zip(cases["reconcile"], got["reconciled"], strict=True):
        assert result["board"] == sorted(case["board"]), case["name"]
        assert result["changed"] == case["changed"], case["name"]
        if "live" in case:
            assert result["live"] == case["live"], case["name"]
    for case, result in zip(cases["elements"], got["checked"], strict=True):
        assert result["error"] == case["error"], case["name"]
        if case["error"] is None:
            assert result["same"], case["name"]
    assert got["bounds"] == [case["bounds"] for case in cases["bounds"]]


def test_seeded_interleavings_give_the_same_boards_in_the_browser_and_in_python(open_ui):
    """200 seeded runs of three clients: the browser's replicas converge, and to exactly the
    board the Python model reaches from the same seed."""
    page = open_ui("/")
    body = SIM_JS.read_text()
    for seed in range(200):
        browser_boards = page.evaluate(
            f"async ({{seed, clients, steps}}) => {{ {body} }}",
            {"seed": seed, "clients": 3, "steps": 40},
        )
        assert all(b == browser_boards[0] for b in browser_boards), seed
        assert browser_boards == simulate(seed, 3, 40), seed
