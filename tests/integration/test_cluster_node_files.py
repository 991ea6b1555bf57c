"""Two relay nodes on ONE PostgreSQL database and one Redis hub: what one node wrote to a
file, the other serves. An agent's photo put through node 1 is served by node 2 (and removed
through node 2, gone from node 1); a picture loaded onto a whiteboard on node 1 is served and
drawn by node 2 once it took the session over (node 1 drained), and the customer who comes
back on node 2 gets the board whole; a history export through node 2 holds a session that
ended on node 1. Their bytes are in the database (``shared_files``), never in Redis."""

from __future__ import annotations

import hashlib
import io
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook
from PIL import Image

from suite.protocol import CloseCode, MessageType, Role
from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.cluster import Nodes, running_nodes
from tests.support.conversation import start_conversation
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE
from tests.support.whiteboard import get_bmp, open_whiteboard, png_of, put_image, rect, update

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]


@pytest.fixture
def nodes(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    with running_nodes(tmp_path_factory.mktemp("nodes"), postgres, 2, (ALICE,)) as running:
        yield running


def _get(url: str, authorization: str = "") -> tuple[int, bytes, str]:
    request = urllib.request.Request(
        url, headers={"Authorization": authorization} if authorization else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read(), reply.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get("Content-Type", "")


def _put_photo(url: str, token: str, data: bytes) -> int:
    request = urllib.request.Request(
        f"{url}/api/me/photo",
        data=data,
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return reply.status


def test_a_photo_put_through_one_node_is_served_and_removed_by_the_other(
    nodes: Nodes, postgres: PostgresServer
) -> None:
    one, two = nodes.api(0), nodes.api(1)
    token = one.login(ALICE.username, ALICE.password)
    first, second = png_of((10, 200, 30)), png_of((200, 10, 30))
    assert _put_photo(one.base_url, token, first) == 200
    names = postgres.sql("SELECT name FROM shared_files", nodes.database)
    assert names == [("photos/alice",)]
    url = two.request("GET", "/api/me", token=token)[1]["agent"]["photo_url"]
    assert url == one.request("GET", "/api/me", token=token)[1]["agent"]["photo_url"] != ""
    assert _get(two.base_url + url) == (200, first, "image/png")
    # A new photo through node 2 is a new address on both, and node 1 serves it.
    assert _put_photo(two.base_url, token, second) == 200
    changed = one.request("GET", "/api/me", token=token)[1]["agent"]["photo_url"]
    assert changed != url
    assert _get(one.base_url + changed)[1] == second
    assert two.request("DELETE", "/api/me/photo", token=token)[0] == 200
    assert _get(one.base_url + "/api/agents/alice/photo")[0] == 404
    assert one.request("GET", "/api/me", token=token)[1]["agent"]["photo_url"] == ""


def test_a_photo_is_served_by_version_without_reading_the_database_again(
    nodes: Nodes, postgres: PostgresServer
) -> None:
    one, two = nodes.api(0), nodes.api(1)
    token = one.login(ALICE.username, ALICE.password)
    photo = png_of((30, 60, 200))
    version = hashlib.sha256(photo).hexdigest()[:20]
    assert _put_photo(one.base_url, token, photo) == 200
    url = one.request("GET", "/api/me", token=token)[1]["agent"]["photo_url"]
    assert url == f"/api/agents/alice/photo?v={version}"
    # Node 2 never served it: its ETag (the version, from the row's meta) answers 304.
    bare, etag = "/api/agents/alice/photo", {"If-None-Match": f'"{version}"'}
    assert two.request("GET", bare, headers=etag)[0] == 304
    status, data, headers = _get_with_headers(two.base_url + url)
    assert (status, data, headers["ETag"]) == (200, photo, f'"{version}"')
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Its bytes changed behind the relays' backs: node 2 serves the version it holds from
    # memory (nothing read), node 1 reads the database (the damaged bytes).
    other = png_of((200, 60, 30))
    postgres.sql(f"UPDATE shared_files SET data = decode('{other.hex()}', 'hex') "
                 "WHERE name = 'photos/alice'", nodes.database)  # fmt: skip
    assert _get_with_headers(two.base_url + url)[1] == photo
    assert _get_with_headers(one.base_url + url)[1] == other


def _get_with_headers(url: str, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read(), reply.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def test_a_whiteboard_picture_loaded_on_one_node_is_served_and_drawn_by_the_taker(
    nodes: Nodes, postgres: PostgresServer
) -> None:
    node_one, node_two = nodes.nodes
    talk = start_conversation(node_one)
    customer_auth = f"Customer {talk.joined['customer_token']}"
    try:
        open_whiteboard(talk.agent, [talk.customer])
        picture = png_of((10, 200, 30))
        status, answer = put_image(node_one.url, talk.session_id, customer_auth, picture)
        assert status == 201, answer
        image = {**rect("img"), "kind": "image", "image": answer["image"], "w": 40, "h": 30,
                 "width": 1}  # fmt: skip
        update(talk.customer, 1, image)
        talk.agent.recv_type("whiteboard_updated")
        # While node 1 lives the board is its own: a socket on node 2 is sent back there
        # (through the balancer), so no second copy of the board starts on node 2.
        ws_two = f"{node_two.ws_url}?session={talk.session_id}"
        elsewhere = ChatClient(ws_two, Role.CUSTOMER, talk.session_id,
                               talk.joined["customer_token"])  # fmt: skip
        try:
            elsewhere.connect_raw()
            assert elsewhere.close_code(timeout=15) == CloseCode.GOING_AWAY
        finally:
            elsewhere.close()
    finally:
        talk.agent.close()
        talk.customer.close()
    node_one.stop()  # a drain: node 1 commits, then hands its sessions over

    customer = ChatClient(ws_two, Role.CUSTOMER, talk.session_id, talk.joined["customer_token"])
    try:
        assert customer.connect()["type"] == MessageType.WELCOME  # node 2 took it over
        state = customer.recv_type("whiteboard_state")
        assert state["state"] == "open" and [e["id"] for e in state["elements"]] == ["img"]
        url = f"{node_two.url}/api/sessions/{talk.session_id}/whiteboard/images/{answer['image']}"
        assert _get(url, customer_auth) == (200, picture, "image/png")
        status, bmp = get_bmp(node_two.url, talk.session_id, customer_auth)
        assert status == 200
        with Image.open(io.BytesIO(bmp)) as drawn:
            assert drawn.convert("RGB").getpixel((16 + 1 + 20, 16 + 1 + 15)) == (10, 200, 30)
        agent = ChatClient(ws_two, Role.AGENT, talk.session_id, talk.token)
        try:
            assert agent.connect()["type"] == MessageType.WELCOME
            agent.send({"type": "end_session"})
            agent.recv_type("session_ended")
        finally:
            agent.close()
    finally:
        customer.close()
    # The session ended on node 2: its pictures left the database with it.
    assert postgres.sql("SELECT count(*) FROM shared_files", nodes.database) == [(0,)]


def test_a_history_export_through_one_node_holds_a_session_ended_on_the_other(
    nodes: Nodes,
) -> None:
    talk = start_conversation(nodes.nodes[0])
    talk.customer.chat("견적서를 노드 1에서 보냅니다", "c-1")
    talk.agent.recv_type("chat_message")
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    talk.agent.close()
    talk.customer.close()
    two: Api = nodes.api(1)
    token = two.login(ALICE.username, ALICE.password)
    listed = two.request("GET", "/api/history", token=token)[1]
    assert [row["id"] for row in listed["sessions"]] == [talk.session_id]
    status, data, _ = _get(f"{two.base_url}/api/history/export.xlsx?lang=en", f"Bearer {token}")
    assert status == 200
    book = load_workbook(io.BytesIO(data))
    transcript = [row[-1] for row in book.worksheets[1].iter_rows(values_only=True)]
    assert "견적서를 노드 1에서 보냅니다" in transcript, transcript
