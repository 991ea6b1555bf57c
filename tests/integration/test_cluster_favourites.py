"""Two relay nodes on ONE PostgreSQL database and one Redis hub: a favourite document kept
through one node is sent by the other (its bytes are in the database's shared files, never in
Redis), and a document removed on one node is gone from the database and from the other
node's folder (relay_server/store/shared_files.py)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator

import pytest

from suite.files.client import FileTransferClient
from tests.support.cluster import Nodes, running_nodes
from tests.support.conversation import start_conversation
from tests.support.favourites import FAVOURITES, http_request, upload_document
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

DOCUMENT_BYTES = 2_500_000  # three pieces in the database (1 MiB each)


@pytest.fixture
def nodes(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nodes]:
    with running_nodes(tmp_path_factory.mktemp("nodes"), postgres, 2, (ALICE,)) as running:
        yield running


def _pieces(postgres: PostgresServer, nodes: Nodes, prefix: str = "favourites/") -> int:
    """The pieces of the agents' kept documents (or of another kind of shared file)."""
    return postgres.sql(
        f"SELECT count(*) FROM shared_files WHERE name LIKE '{prefix}%'", nodes.database
    )[0][0]


def test_a_document_kept_on_one_node_is_sent_by_the_other_and_removed_from_both(
    nodes: Nodes, postgres: PostgresServer, tmp_path
) -> None:
    one, two = nodes.nodes
    data = os.urandom(DOCUMENT_BYTES)
    token_one = nodes.api(0).login(ALICE.username, ALICE.password)
    status, body = upload_document(one, token_one, "catalogue.pdf", data)
    assert status == 201, body
    document = body["document"]
    assert _pieces(postgres, nodes) == 3
    copy_on_two = two.data_dir / "favourites" / f"{document['id']}.bin"
    assert not copy_on_two.exists()

    talk = start_conversation(two)  # the agent's session lives on node 2
    send = f"/api/sessions/{talk.session_id}/favourites/{document['id']}"
    auth = {"Authorization": f"Bearer {talk.token}"}
    status, body = http_request(two.port, "POST", send, None, auth)
    assert status == 201, body
    ready = talk.customer.recv_type("file_ready")["transfer"]
    assert ready["sha256"] == document["sha256"] == hashlib.sha256(data).hexdigest()
    customer = FileTransferClient(two.url, f"Customer {talk.joined['customer_token']}")
    assert customer.receive(ready, tmp_path).read_bytes() == data
    assert copy_on_two.read_bytes() == data  # node 2 keeps the copy it fetched
    # Sent in the session, it is one of the session's files: kept for a node taking it over.
    assert _pieces(postgres, nodes, f"chat_files/{talk.session_id}/") == 3

    remove = f"{FAVOURITES}/documents/{document['id']}"
    status, body = http_request(one.port, "DELETE", remove, None,
                                {"Authorization": f"Bearer {token_one}"})  # fmt: skip
    assert status in (200, 204), body
    assert _pieces(postgres, nodes) == 0
    deadline = time.monotonic() + 10
    while copy_on_two.exists():  # node 2 hears of the change through the hub
        assert time.monotonic() < deadline, "node 2 kept its copy of a removed document"
        time.sleep(0.05)
    status, body = http_request(two.port, "POST", send, None, auth)
    assert (status, body.get("error", {}).get("code")) == (404, "favourite_not_found"), body
