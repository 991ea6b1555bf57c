"""The whiteboard's model (CH3): the shared table of cases, and randomized convergence."""

from __future__ import annotations

import itertools
import random

import pytest

from suite.whiteboard.model import (
    MAX_ELEMENTS,
    WhiteboardError,
    bounds,
    check_element,
    check_room,
    live,
    reconcile,
)
from tests.support.whiteboard_sim import load_cases, simulate

CASES = load_cases()


def _board(elements):
    return {e["id"]: e for e in elements}


def _fingerprint(board):
    return sorted([e["id"], e["version"], e["nonce"]] for e in board.values())


@pytest.mark.parametrize("case", CASES["reconcile"], ids=lambda c: c["name"])
def test_reconcile_follows_the_shared_table(case):
    """Each case of the shared table: the merged board, the copies that won, the drawing order."""
    board, changed = reconcile(_board(case["local"]), case["remote"])
    assert _fingerprint(board) == sorted(case["board"])
    assert [e["id"] for e in changed] == case["changed"]
    if "live" in case:
        assert [e["id"] for e in live(board)] == case["live"]


@pytest.mark.parametrize("case", CASES["reconcile"], ids=lambda c: c["name"])
def test_reconcile_converges_in_both_directions(case):
    """Merging the two sides either way round gives the same board (Excalidraw's tests do this)."""
    one, _ = reconcile(_board(case["local"]), case["remote"])
    other, _ = reconcile(_board(case["remote"]), case["local"])
    if len({e["id"] for e in case["remote"]}) == len(case["remote"]):  # one copy per id
        assert one == other


@pytest.mark.parametrize("case", CASES["elements"], ids=lambda c: c["name"])
def test_element_checks_follow_the_shared_table(case):
    """A well-formed element passes unchanged; a broken one names its rule with a code."""
    if case["error"] is None:
        assert check_element(case["element"]) == case["element"]
    else:
        with pytest.raises(WhiteboardError) as refused:
            check_element(case["element"])
        assert refused.value.code == case["error"]


def test_bounds_follow_the_shared_table():
    """An element's box includes half its line width on every side."""
    for case in CASES["bounds"]:
        assert list(bounds(case["element"])) == case["bounds"]


def test_a_full_board_refuses_one_more_element_but_takes_edits_and_deletions():
    """At MAX_ELEMENTS live elements a new one is whiteboard_full; editing or erasing is not."""
    base = CASES["reconcile"][0]["remote"][0]
    board = {f"e{i}": {**base, "id": f"e{i}"} for i in range(MAX_ELEMENTS)}
    with pytest.raises(WhiteboardError) as full:
        check_room(board, [{**base, "id": "one-more"}])
    assert full.value.code == "whiteboard_full"
    check_room(board, [{**base, "id": "e1", "version": 2}])
    check_room(board, [{**base, "id": "e1", "version": 2, "deleted": True}, {**base, "id": "new"}])


def test_every_delivery_order_of_concurrent_edits_gives_one_board():
    """Three clients' concurrent edits of shared elements (moves, deletions, undos), delivered
    in every one of the 5,040 orders, always end in the same board."""
    rect = CASES["reconcile"][0]["remote"][0]
    edits = [
        {**rect, "id": "a", "version": 2, "nonce": 40, "x": 1},
        {**rect, "id": "a", "version": 2, "nonce": 30, "x": 2},
        {**rect, "id": "a", "version": 3, "nonce": 90, "deleted": True},
        {**rect, "id": "a", "version": 4, "nonce": 10, "x": 3},
        {**rect, "id": "b", "version": 1, "nonce": 5},
        {**rect, "id": "b", "version": 1, "nonce": 4, "x": 77},
        {**rect, "id": "c", "version": 7, "nonce": 1, "deleted": True},
    ]
    boards = set()
    for order in itertools.permutations(edits):
        board: dict = {}
        for edit in order:
            board, _ = reconcile(board, [edit])
        boards.add(
            tuple(sorted((e["id"], e["version"], e["nonce"], e["x"]) for e in board.values()))
        )
    assert boards == {(("a", 4, 10, 3), ("b", 1, 4, 77), ("c", 7, 1, 10))}


@pytest.mark.parametrize("clients", [2, 3])
def test_thousands_of_random_interleavings_converge(clients):
    """2,000 seeded runs of two or three clients editing at once, each replica receiving the
    others' edits in its own random order, end with every replica holding the same board."""
    for seed in range(2000):
        boards = simulate(seed, clients, steps=40)
        assert all(b == boards[0] for b in boards), seed


def test_the_same_edits_in_shuffled_batches_converge():
    """Batches (as update_whiteboard carries them) merged in random orders give one board."""
    rng = random.Random(7)
    rect = CASES["reconcile"][0]["remote"][0]
    edits = [
        {**rect, "id": f"e{rng.randrange(20)}", "version": rng.randrange(1, 6),
         "nonce": rng.randrange(2**31), "deleted": rng.random() < 0.3}
        for _ in range(300)
    ]  # fmt: skip
    results = set()
    for _ in range(200):
        rng.shuffle(edits)
        board: dict = {}
        for start in range(0, len(edits), 17):
            board, _ = reconcile(board, edits[start : start + 17])
        results.add(tuple(_fingerprint_t(board)))
    assert len(results) == 1


def _fingerprint_t(board):
    return sorted((e["id"], e["version"], e["nonce"], e["deleted"]) for e in board.values())
