"""Nothing acknowledged is lost: SIGKILL mid-burst, SIGTERM, restart and resume."""

from __future__ import annotations

import json
import threading

from relay_server.history.history import History
from relay_server.sessions.chat_log import chat_table
from relay_server.store import TinyDBStore
from tests.support.api import Api
from tests.support.chat_client import ChatClient
from tests.support.conversation import start_conversation


def test_sigkill_mid_burst_keeps_every_acknowledged_message(relay):
    """Kill -9 the relay while a burst is in flight; the reopened store has every acked message."""
    talk = start_conversation(relay)
    acked: list[dict] = []
    stop = threading.Event()

    def read_acks():
        try:
            while not stop.is_set():
                message = talk.customer.recv(timeout=10)
                if message["type"] == "chat_message":
                    acked.append(message)
        except Exception:
            pass  # the socket dies with the relay

    reader = threading.Thread(target=read_acks)
    reader.start()
    for n in range(2000):
        try:
            talk.customer.chat(f"burst {n}", f"burst-{n}")
        except Exception:
            break
        if n == 600:
            while len(acked) < 50:  # the relay is acknowledging: now kill it mid-burst
                threading.Event().wait(0.001)
            relay.kill()
    stop.set()
    reader.join(timeout=15)
    assert 50 <= len(acked) < 2000, len(acked)

    db_text = (relay.data_dir / "relay.json").read_text()
    json.loads(db_text)  # the checkpoint file is valid JSON
    store = TinyDBStore(relay.data_dir)
    try:
        stored = {doc["client_id"]: doc for doc in store.all(chat_table(talk.session_id))}
    finally:
        store.close()
    missing = [m["client_id"] for m in acked if m["client_id"] not in stored]
    assert not missing, f"{len(missing)} acknowledged messages lost, first {missing[:5]}"
    assert all(stored[m["client_id"]]["text"] == m["text"] for m in acked)
    json.loads((relay.data_dir / "relay.json").read_text())


def test_sigterm_closes_sockets_with_1001_and_flushes(relay):
    talk = start_conversation(relay)
    talk.customer.chat("flushed on shutdown", "c-1")
    talk.customer.recv_type("chat_message")
    relay.stop()
    assert talk.customer.close_code() == 1001
    assert talk.agent.close_code() == 1001
    assert (relay.data_dir / "journal.jsonl").stat().st_size == 0, "a clean stop checkpoints"
    db = json.loads((relay.data_dir / "relay.json").read_text())
    assert [m["text"] for m in db[chat_table(talk.session_id)].values()] == ["flushed on shutdown"]


def test_sessions_survive_a_restart_and_clients_resume(relay):
    """After a restart the customer reconnects with its token and the chat goes on."""
    talk = start_conversation(relay)
    talk.customer.chat("before restart", "c-1")
    first = talk.customer.recv_type("chat_message")
    relay.kill()
    relay.restart()
    agent = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token, last_seen_id=0)
    welcome = agent.connect()
    assert welcome["type"] == "welcome" and welcome["session"]["state"] == "active"
    assert [m["text"] for m in welcome["missed"]] == ["before restart"]
    customer = ChatClient(
        relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"], first["id"]
    )
    assert customer.connect()["missed"] == []
    customer.chat("after restart", "c-2")
    assert agent.recv_type("chat_message")["id"] == first["id"] + 1


def test_a_customer_reconnecting_after_a_restart_is_back_not_joined_again(relay):
    """After a relay restart (SIGKILL) the customer's reconnect reaches the agent
    as `participant_joined` with `rejoined: true` (the page says "is back"), not as a new
    join; a new customer after remove_customer joins anew (`rejoined: false`)."""
    talk = start_conversation(relay)
    talk.customer.chat("before restart", "c-1")
    first = talk.customer.recv_type("chat_message")  # acknowledged: durable
    relay.kill()
    relay.restart()
    agent = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token, last_seen_id=first["id"])
    assert agent.connect()["type"] == "welcome"
    customer = ChatClient(
        relay.ws_url, "customer", talk.session_id, talk.joined["customer_token"], first["id"]
    )
    assert customer.connect()["type"] == "welcome"
    back = agent.recv_type("participant_joined")
    assert (back["role"], back["rejoined"]) == ("customer", True)

    agent.send({"type": "remove_customer"})
    code = agent.recv_type("customer_removed")["session"]["code"]
    joined = Api(relay.url).join(code=code, name="Next Customer")
    newcomer = ChatClient(relay.ws_url, "customer", talk.session_id, joined["customer_token"])
    assert newcomer.connect()["type"] == "welcome"
    new = agent.recv_type("participant_joined")
    assert (new["name"], new["rejoined"]) == ("Next Customer", False)


def test_ended_session_record_keeps_the_transcript(relay):
    """An ended session is one history record with its transcript, and leaves the store."""
    talk = start_conversation(relay)
    talk.customer.chat("please send the brochure", "c-1")
    talk.agent.recv_type("chat_message")
    talk.agent.send({"type": "end_session"})
    ended = talk.agent.recv_type("session_ended")
    relay.stop()
    store = TinyDBStore(relay.data_dir)
    try:
        assert store.all("session_records") == []
        assert not store.has_table(chat_table(talk.session_id))
    finally:
        store.close()
    record = History(relay.data_dir / "history").record(talk.session_id)
    assert record is not None
    assert record["id"] == talk.session_id and record["agent_username"] == "alice"
    assert record["customer_name"] == "Kim Customer" and record["ended_by"] == "agent"
    assert record["ended_at"] >= record["started_at"]
    assert record["duration_s"] == round(record["ended_at"] - record["started_at"], 3) > 0
    assert record["duration_s"] == ended["duration_s"]  # what both sides saw at the end
    assert record["message_count"] == 1
    assert "customer_token" not in record
    assert [m["text"] for m in record["messages"]] == ["please send the brochure"]


def test_a_second_process_cannot_open_a_data_folder_in_use(relay):
    """The users CLI refuses a data folder the running relay holds, with a clear message."""
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "relay_server", "users", "--data", str(relay.data_dir), "list"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert "in use by another process" in result.stderr
