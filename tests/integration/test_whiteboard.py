"""The shared whiteboard (CH3) through a real relay: consent, fan-out, late joiners, bounds,
strangers, restarts, the BMP and the old board kept as a file."""

from __future__ import annotations

import io
import shutil
import subprocess
import urllib.request

import pytest
from PIL import Image

from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.conversation import invite_another, start_conversation
from tests.support.whiteboard import (
    get_bmp,
    module_relay,
    open_whiteboard,
    pen,
    png_of,
    put_image,
    rect,
    update,
)


@pytest.fixture(scope="module")
def relay(tmp_path_factory):
    """One relay for the module (the restart test restarts it: the others do not mind)."""
    with module_relay(tmp_path_factory) as shared:
        yield shared


@pytest.fixture
def api(relay):
    return Api(relay.url)


def test_consent_then_edits_reach_every_other_participant_and_late_joiners(relay):
    """Nothing is drawn before a customer accepts; then each batch reaches the other
    participants only, a stale copy is dropped, and a new socket gets the board whole."""
    talk = start_conversation(relay)
    guest = invite_another(talk, "Lee Second")
    update(talk.agent, 1, rect("early"))
    assert talk.agent.recv_type("error")["code"] == "not_allowed"
    talk.customer.send({"type": "open_whiteboard"})
    assert talk.customer.recv_type("error")["in_reply_to"] == "open_whiteboard"
    opened = open_whiteboard(talk.agent, [talk.customer, guest.chat])
    assert (opened["board"], opened["elements"], opened["by"]) == (
        1,
        [],
        talk.joined["participant_id"],
    )

    update(talk.agent, 1, rect("a"), pen("p", [[0, 0], [5, 5]]))
    for client in (talk.customer, guest.chat):
        got = client.recv_type("whiteboard_updated")
        assert (got["sender"], [e["id"] for e in got["elements"]]) == ("agent", ["a", "p"])
    update(guest.chat, 1, rect("a", version=2, x=99), rect("b"), rect("a", version=1, nonce=1))
    moved = talk.agent.recv_type("whiteboard_updated")
    assert [(e["id"], e["version"]) for e in moved["elements"]] == [("a", 2), ("b", 1)]
    assert moved["sender"] == guest.participant_id

    late = ChatClient(
        talk.customer.ws_url, "customer", talk.session_id, talk.joined["customer_token"]
    )
    assert late.connect()["type"] == "welcome"
    board = late.recv_type("whiteboard_state")
    assert board["state"] == "open"
    assert sorted((e["id"], e["version"]) for e in board["elements"]) == [
        ("a", 2),
        ("b", 1),
        ("p", 1),
    ]
    viewer = ChatClient(talk.customer.ws_url, "customer", talk.session_id, guest.token)
    viewer.connect(channel="screen")
    assert len(viewer.recv_type("whiteboard_state")["elements"]) == 3
    update(viewer, 1, rect("v"))  # a customer's browser viewer draws too
    assert talk.agent.recv_type("whiteboard_updated")["elements"][0]["id"] == "v"


def test_a_declined_board_stays_closed_until_asked_again(relay):
    """A decline reaches everyone; edits are refused; the agent may ask again."""
    talk = start_conversation(relay)
    talk.agent.send({"type": "open_whiteboard"})
    talk.customer.recv_type("whiteboard_state")
    assert talk.agent.recv_type("whiteboard_state")["state"] == "asked"
    talk.customer.send({"type": "answer_whiteboard", "accept": False})
    assert talk.agent.recv_type("whiteboard_state")["state"] == "declined"
    assert talk.customer.recv_type("whiteboard_state")["state"] == "declined"
    update(talk.customer, 1, rect("x"))
    assert talk.customer.recv_type("error")["code"] == "not_allowed"
    talk.customer.send({"type": "answer_whiteboard", "accept": True})
    assert talk.customer.recv_type("error")["code"] == "not_allowed"
    open_whiteboard(talk.agent, [talk.customer])


def test_bad_and_oversized_updates_are_refused_with_their_codes(relay):
    """Each broken update gets an error naming its rule, nothing of it is taken, the socket
    stays up; a full board says whiteboard_full."""
    talk = start_conversation(relay)
    open_whiteboard(talk.agent, [talk.customer])
    text = {**rect("t"), "kind": "text", "text": "가" * 2001, "size": 20}
    many = [rect(f"e{i}") for i in range(501)]
    bad = [
        (1, [rect("a", color="red")], "bad_message"),
        (1, [], "bad_message"),
        (1, many, "bad_message"),
        (1, [pen("p", [[1, 1]] * 5001)], "element_too_large"),
        (1, [text], "element_too_large"),
        (2, [rect("a")], "not_allowed"),
    ]
    for board, elements, code in bad:
        update(talk.customer, board, *elements)
        error = talk.customer.recv_type("error")
        assert (error["code"], error["in_reply_to"]) == (code, "update_whiteboard"), error
    talk.customer.send({"type": "new_whiteboard", "board": 7})
    assert talk.customer.recv_type("error")["code"] == "not_allowed"
    for start in range(0, 5000, 500):
        update(talk.agent, 1, *(rect(f"e{i}") for i in range(start, start + 500)))
    talk.customer.recv_type("whiteboard_updated")
    update(talk.customer, 1, rect("one-too-many"))
    assert talk.customer.recv_type("error")["code"] == "whiteboard_full"
    update(talk.customer, 1, rect("e1", version=2, deleted=True), rect("in-its-place"))
    assert len(talk.agent.recv_type("whiteboard_updated")["elements"]) == 2


def test_a_stranger_cannot_touch_the_board(relay):
    """Another session's customer edits only its own session (where no board is open), the
    agent's presenter socket is refused, and a socket without a valid hello is closed."""
    talk = start_conversation(relay)
    open_whiteboard(talk.agent, [talk.customer])
    other = start_conversation(relay, "bob", "bob-password-1")
    update(other.customer, 1, rect("intruder"))
    assert other.customer.recv_type("error")["code"] == "not_allowed"
    presenter = ChatClient(talk.customer.ws_url, "agent", talk.session_id, talk.token)
    presenter.connect(channel="screen")
    update(presenter, 1, rect("presenter"))
    assert presenter.recv_type("error")["code"] == "not_allowed"
    forged = ChatClient(talk.customer.ws_url, "customer", talk.session_id, "forged-token")
    forged.connect_raw()
    forged.send(forged.hello)
    assert forged.close_code() == 4001
    update(talk.customer, 1, rect("mine"))
    got = talk.agent.recv_type("whiteboard_updated")
    assert [e["id"] for e in got["elements"]] == ["mine"]  # nothing of the intruders arrived


def test_the_board_survives_a_relay_restart_and_the_bmp_is_the_same_for_everyone(relay):
    """After a restart the board comes back whole; the agent's and the customer's BMP are the
    same bytes, a real BMP of the board's size; no token: 401."""
    talk = start_conversation(relay)
    open_whiteboard(talk.agent, [talk.customer])
    update(talk.agent, 1, rect("a"), pen("p", [[0, 0], [50, 30], [80, 90]]))
    update(talk.customer, 1, rect("b", x=200, color="#16a34a"), rect("a", version=2, deleted=True))
    talk.agent.recv_type("whiteboard_updated")
    relay.restart()
    ws_url = relay.url.replace("http", "ws", 1) + "/ws"
    agent = ChatClient(ws_url, "agent", talk.session_id, talk.token)
    assert agent.connect()["type"] == "welcome"
    board = agent.recv_type("whiteboard_state")
    assert board["state"] == "open"
    assert sorted((e["id"], e["version"], e["deleted"]) for e in board["elements"]) == [
        ("a", 2, True), ("b", 1, False), ("p", 1, False),
    ]  # fmt: skip
    status, agents_bmp = get_bmp(relay.url, talk.session_id, f"Bearer {talk.token}")
    assert status == 200 and agents_bmp[:2] == b"BM"
    status, customers_bmp = get_bmp(
        relay.url, talk.session_id, f"Customer {talk.joined['customer_token']}"
    )
    assert status == 200 and customers_bmp == agents_bmp
    assert get_bmp(relay.url, talk.session_id, "")[0] == 401
    identify = shutil.which("identify")
    if identify is None:
        pytest.skip("ImageMagick's identify is not installed")
    described = subprocess.run(
        [identify, "-format", "%m %w %h", "-"], input=agents_bmp, capture_output=True, check=True
    ).stdout.decode()
    # p covers -2..82 x -2..92 (half its width 3, rounded up), b 198..232 x 18..62; and 16 px
    # of margin: 234 + 32 by 94 + 32.
    assert described == "BMP3 266 126"


def test_a_new_board_keeps_the_old_one_in_the_file_list(relay, api):
    """new_whiteboard empties the board for everyone and the old one is whiteboard-1.png,
    ready in the session's files; the old board's number is refused afterwards."""
    talk = start_conversation(relay)
    open_whiteboard(talk.agent, [talk.customer])
    update(talk.agent, 1, rect("a"))
    talk.customer.recv_type("whiteboard_updated")
    talk.customer.send({"type": "new_whiteboard", "board": 1})
    for client in (talk.agent, talk.customer):
        fresh = client.recv_type("whiteboard_state")
        assert (fresh["board"], fresh["elements"]) == (2, [])
    ready = talk.agent.recv_type("file_ready", timeout=10)["transfer"]
    assert ready["name"] == "whiteboard-1.png" and ready["type"] == "image/png"
    update(talk.agent, 1, rect("late"))
    assert talk.agent.recv_type("error")["code"] == "not_allowed"


def test_a_picture_is_uploaded_checked_served_and_drawn_in_the_bmp(relay):
    """A PNG is kept and served back to participants; too large, not a picture and unreadable
    bytes are refused with their codes; an image element shows the picture in the BMP."""
    talk = start_conversation(relay)
    open_whiteboard(talk.agent, [talk.customer])
    customer = f"Customer {talk.joined['customer_token']}"
    picture = png_of((10, 200, 30))
    status, answer = put_image(relay.url, talk.session_id, customer, picture)
    assert status == 201 and (answer["width"], answer["height"]) == (40, 30), answer
    assert (
        put_image(relay.url, talk.session_id, customer, b"GIF89a" + b"0" * 40)[1]["error"]["code"]
        == "image_type_not_allowed"
    )
    assert (
        put_image(relay.url, talk.session_id, customer, picture[:30])[1]["error"]["code"]
        == "bad_image"
    )
    too_big = put_image(
        relay.url, talk.session_id, customer, b"\x89PNG\r\n\x1a\n" + b"0" * 5 * 2**20
    )
    assert too_big[0] == 413 and too_big[1]["error"]["code"] == "image_too_large"
    assert put_image(relay.url, talk.session_id, "", picture)[0] == 401
    request = urllib.request.Request(
        f"{relay.url}/api/sessions/{talk.session_id}/whiteboard/images/{answer['image']}",
        headers={"Authorization": f"Bearer {talk.token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.read() == picture and reply.headers["Content-Type"] == "image/png"

    image = {**rect("img"), "kind": "image", "image": answer["image"], "w": 40, "h": 30, "width": 1}
    update(talk.customer, 1, image)
    talk.agent.recv_type("whiteboard_updated")
    status, bmp = get_bmp(relay.url, talk.session_id, customer)
    with Image.open(io.BytesIO(bmp)) as drawn:
        assert drawn.convert("RGB").getpixel((16 + 1 + 20, 16 + 1 + 15)) == (10, 200, 30)


@pytest.mark.parametrize(("kind", "content_type"), [("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_jpeg_and_webp_pictures_are_kept_served_and_drawn_in_the_bmp(relay, kind, content_type):
    """A JPEG and a WebP picture (the guide's other two types) are taken, served back with
    their type, and an image element shows them in the relay's BMP."""
    talk = start_conversation(relay)
    try:
        open_whiteboard(talk.agent, [talk.customer])
        customer = f"Customer {talk.joined['customer_token']}"
        out = io.BytesIO()
        Image.new("RGB", (40, 30), (200, 30, 10)).save(out, format=kind, quality=95)
        picture = out.getvalue()
        status, answer = put_image(relay.url, talk.session_id, customer, picture)
        assert status == 201 and (answer["width"], answer["height"]) == (40, 30), answer
        request = urllib.request.Request(
            f"{relay.url}/api/sessions/{talk.session_id}/whiteboard/images/{answer['image']}",
            headers={"Authorization": f"Bearer {talk.token}"},
        )
        with urllib.request.urlopen(request, timeout=10) as reply:
            assert reply.read() == picture and reply.headers["Content-Type"] == content_type
        image = {**rect("pic"), "kind": "image", "image": answer["image"], "w": 40, "h": 30}
        update(talk.customer, 1, {**image, "width": 1})
        talk.agent.recv_type("whiteboard_updated")
        status, bmp = get_bmp(relay.url, talk.session_id, customer)
        with Image.open(io.BytesIO(bmp)) as drawn:
            red, green, blue = drawn.convert("RGB").getpixel((16 + 1 + 20, 16 + 1 + 15))
        assert red > 170 and green < 70 and blue < 50, (red, green, blue)
    finally:
        talk.agent.close()
        talk.customer.close()
