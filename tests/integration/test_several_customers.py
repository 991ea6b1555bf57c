"""Several customers in one session, through the real relay: seats, chat, screen, removal,
the cap, personal invitation links, control by name and the session record."""

from __future__ import annotations

import hashlib
import http.client
import json

from tests.support.api import Api, post_json_from
from tests.support.chat_client import ChatClient
from tests.support.conversation import Guest, invite_another, start_conversation
from tests.support.region_frames import region

REMOVED = 4004
MOVE = {"type": "mouse_input", "action": "move", "x": 3, "y": 4}


def _viewer(relay, session_id: str, token: str) -> ChatClient:
    viewer = ChatClient(relay.ws_url, "customer", session_id, token)
    assert viewer.connect(channel="screen")["type"] == "welcome"
    assert viewer.recv_type("screen_state")
    return viewer


def _chat_text(client: ChatClient, text: str) -> dict:
    while True:
        message = client.recv_type("chat_message")
        if message["text"] == text:
            return message


def test_three_customers_chat_view_and_one_removed_loses_everything(relay):
    """Three customers with their own tokens, names and colours chat and each views the
    presentation; the removed one's chat and viewer close with 4004 and its token is dead,
    while the other two keep chatting and viewing; the record lists all four participants."""
    talk = start_conversation(relay)
    kim = Guest("Kim Customer", talk.joined, talk.customer)
    lee = invite_another(talk, "Lee Second")
    park = invite_another(talk, "Park Third")
    customers = (kim, lee, park)
    assert len({c.token for c in customers}) == 3
    roster = park.chat.received[0]["session"]["participants"]
    assert [p["name"] for p in roster] == ["Alice Kim", "Kim Customer", "Lee Second", "Park Third"]
    assert len({p["color"] for p in roster}) == 4
    assert park.chat.received[0]["you"]["participant_id"] == park.participant_id

    presenter = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token)
    assert presenter.connect(channel="screen")["type"] == "welcome"
    viewers = {c.name: _viewer(relay, talk.session_id, c.token) for c in customers}
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})
    presenter.send(region(1, 0, 0, 64, 32))
    for viewer in viewers.values():
        assert viewer.recv_binary()[:2] == b"RS"

    lee.chat.chat("hello from Lee", "lee-1")
    for client in (talk.agent, kim.chat, park.chat, *viewers.values()):
        got = _chat_text(client, "hello from Lee")
        assert (got["name"], got["participant_id"]) == ("Lee Second", lee.participant_id)

    talk.agent.send({"type": "remove_customer", "customer_id": lee.participant_id})
    removed = talk.agent.recv_type("customer_removed")
    assert removed["participant_id"] == lee.participant_id
    assert [p["name"] for p in removed["session"]["participants"]][1:] == [
        "Kim Customer",
        "Park Third",
    ]
    assert removed["session"]["state"] == "active"
    for socket in (lee.chat, viewers.pop("Lee Second")):
        assert socket.close_code() == REMOVED
    again = ChatClient(relay.ws_url, "customer", talk.session_id, lee.token)
    again.connect_raw()
    again.send(again.hello)
    assert again.close_code() == REMOVED
    assert park.chat.recv_type("participant_left")["participant_id"] == lee.participant_id

    park.chat.chat("still here", "park-1")
    for client in (talk.agent, kim.chat, *viewers.values()):
        assert _chat_text(client, "still here")["participant_id"] == park.participant_id
    presenter.send(region(2, 0, 0, 64, 32))
    for viewer in viewers.values():
        assert viewer.recv_binary()[:2] == b"RS"

    talk.agent.send({"type": "end_session"})
    for client in (kim.chat, park.chat, *viewers.values()):
        ended = client.recv_type("session_ended")
        assert ended["customer_name"] == "Kim Customer, Park Third"
    status, detail, _ = talk.api.request("GET", f"/api/history/{talk.session_id}", token=talk.token)
    assert status == 200, detail
    record = detail["session"]
    people = {p["name"]: p for p in record["participants"]}
    assert set(people) == {"Alice Kim", "Kim Customer", "Lee Second", "Park Third"}
    assert people["Lee Second"]["removed"] and people["Lee Second"]["left_at"]
    assert people["Park Third"]["left_at"] == record["ended_at"]
    assert all(p["joined_at"] <= p["left_at"] for p in record["participants"])
    assert lee.token not in str(record) and talk.joined["customer_token"] not in str(record)


def test_the_cap_refuses_one_customer_too_many(relay_factory):
    """With --customers-per-session 2 a third code is refused: Invite another answers
    `not_allowed`, and a code handed out before the session filled is `409 session_full`."""
    relay = relay_factory("--customers-per-session", "2")
    talk = start_conversation(relay)
    talk.agent.send({"type": "renew_code"})
    spare = talk.agent.recv_type("session_updated")["session"]["code"]
    second = talk.api.join(code=spare, name="Lee")
    talk.agent.send({"type": "renew_code"})
    assert "full" in talk.agent.recv_type("error")["message"]
    # An invitation link cannot go past the cap either.
    status, body, _ = talk.api.request(
        "POST", f"/api/supports/{talk.session_id}/links", json={}, token=talk.token
    )
    assert status == 201, body
    secret = body["url"].split("invite=")[1]
    status, body, _ = talk.api.request("POST", "/api/join", json={"invitation": secret})
    assert (status, body["error"]["code"]) == (409, "session_full")
    # Removing one frees a seat: the same link now seats its invitee.
    talk.agent.send({"type": "remove_customer", "customer_id": second["participant_id"]})
    talk.agent.recv_type("customer_removed")
    status, body, _ = talk.api.request(
        "POST", "/api/join", json={"invitation": secret, "name": "Park"}
    )
    assert status == 200, body


def test_a_personal_link_seats_one_customer_once_and_a_revoked_one_none(relay):
    """A personal link joins without a code or knock, once: a second use is `410
    invitation_used` (one seat only); a revoked link is `410 invitation_revoked`; after the
    end, an open link is `410 invitation_closed`; the list shows each state."""
    talk = start_conversation(relay)
    path = f"/api/supports/{talk.session_id}/links"
    links = []
    for label in ("Lee", "Park", "Choi"):
        status, body, _ = talk.api.request("POST", path, json={"label": label}, token=talk.token)
        assert status == 201, body
        assert body["url"].startswith(relay.url + "/?invite=")
        links.append(body)
    secret = links[0]["url"].split("invite=")[1]
    joined = talk.api.request("POST", "/api/join", json={"invitation": secret, "name": "Lee"})[1]
    assert joined["status"] == "joined"
    lee = ChatClient(relay.ws_url, "customer", talk.session_id, joined["customer_token"])
    assert lee.connect()["you"]["name"] == "Lee"
    status, body, _ = Api(relay.url).request(
        "POST", "/api/join", json={"invitation": secret, "name": "Mallory"}
    )
    assert (status, body["error"]["code"]) == (410, "invitation_used")

    revoked = links[1]
    status, _, _ = talk.api.request(
        "DELETE", f"{path}/{revoked['invitation']['id']}", token=talk.token
    )
    assert status == 200
    status, body, _ = talk.api.request(
        "POST", "/api/join", json={"invitation": revoked["url"].split("invite=")[1]}
    )
    assert (status, body["error"]["code"]) == (410, "invitation_revoked")
    status, body, _ = talk.api.request("POST", "/api/join", json={"invitation": "x" * 32})
    assert (status, body["error"]["code"]) == (404, "invitation_not_found")

    listed = talk.api.request("GET", path, token=talk.token)[1]["invitations"]
    assert [i["state"] for i in listed] == ["used", "revoked", "open"]
    assert listed[0]["customer_id"] == joined["participant_id"]
    assert "secret" not in str(listed)

    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    status, body, _ = talk.api.request(
        "POST", "/api/join", json={"invitation": links[2]["url"].split("invite=")[1]}
    )
    assert (status, body["error"]["code"]) == (410, "invitation_closed")


def test_control_goes_to_the_customer_named_and_moves_on_to_the_next(relay):
    """Two customers ask; the agent sees who; a grant to Lee by id lets only Lee's input
    through; giving it to Kim takes it from Lee; naming nobody with two seated is refused."""
    talk = start_conversation(relay)
    lee = invite_another(talk, "Lee Second")
    presenter = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token)
    assert presenter.connect(channel="screen")["type"] == "welcome"
    kim_viewer = _viewer(relay, talk.session_id, talk.joined["customer_token"])
    lee_viewer = _viewer(relay, talk.session_id, lee.token)
    presenter.send({"type": "present_start", "screen_w": 64, "screen_h": 32})

    lee_viewer.send({"type": "request_control"})
    while (asked := talk.agent.recv_type("control_state"))["requested_by"] is None:
        pass
    assert asked["requested_by"] == {"customer_id": lee.participant_id, "name": "Lee Second"}

    talk.agent.send({"type": "grant_control", "mouse": True, "keyboard": True})
    assert talk.agent.recv_type("error")["message"] == "name the customer"
    both = {"type": "grant_control", "mouse": True, "keyboard": True}
    talk.agent.send({**both, "customer_id": lee.participant_id})
    while (state := talk.agent.recv_type("control_state"))["mouse_holder"] is None:
        pass
    assert state["mouse_holder"]["name"] == "Lee Second"
    lee_viewer.send(MOVE)
    assert presenter.recv_type("mouse_input")["x"] == 3
    kim_viewer.send(MOVE)
    assert kim_viewer.recv_type("error")["message"] == "control not granted: mouse"

    kim_id = talk.joined["participant_id"]
    talk.agent.send({"type": "grant_control", "mouse": True, "customer_id": kim_id})
    while (state := talk.agent.recv_type("control_state"))["mouse_holder"]["customer_id"] != (
        kim_id
    ):
        pass
    lee_viewer.send(MOVE)
    assert lee_viewer.recv_type("error")["message"] == "control not granted: mouse"
    kim_viewer.send({**MOVE, "x": 7})
    assert presenter.recv_type("mouse_input")["x"] == 7


def test_a_customer_coming_back_is_back_for_that_customer_only(relay):
    """A reconnect of one customer is `rejoined` with its participant id; a new customer's
    first connect is not."""
    talk = start_conversation(relay)
    lee = invite_another(talk, "Lee Second")
    lee.chat.close()
    assert talk.agent.recv_type("participant_left")["participant_id"] == lee.participant_id
    back = ChatClient(relay.ws_url, "customer", talk.session_id, lee.token)
    assert back.connect()["type"] == "welcome"
    joined = talk.agent.recv_type("participant_joined")
    assert (joined["participant_id"], joined["rejoined"]) == (lee.participant_id, True)
    park = invite_another(talk, "Park Third")
    first = [m for m in talk.agent.received if m.get("participant_id") == park.participant_id]
    assert first[-1]["type"] == "participant_joined" and first[-1]["rejoined"] is False


def test_a_customer_who_ends_while_others_stay_only_leaves(relay):
    """With two customers seated, Lee's end_session gives Lee alone the end (session_ended,
    then 4000); Kim and the agent see Lee leave for good and go on chatting."""
    talk = start_conversation(relay)
    lee = invite_another(talk, "Lee Second")
    lee.chat.send({"type": "end_session"})
    ended = lee.chat.recv_type("session_ended")
    assert (ended["customer_name"], ended["ended_by"]) == ("Lee Second", "customer")
    assert lee.chat.close_code() == 4000
    left = talk.customer.recv_type("participant_left")
    assert (left["participant_id"], left["removed"]) == (lee.participant_id, True)
    update = talk.agent.recv_type("session_updated")["session"]
    assert update["state"] == "active" and update["customer_name"] == "Kim Customer"
    talk.customer.chat("just us now", "kim-1")
    assert _chat_text(talk.agent, "just us now")["name"] == "Kim Customer"


def _http(relay, method: str, path: str, auth: str, body: bytes = b"") -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", relay.port, timeout=10)
    try:
        connection.request(method, path, body=body or None, headers={"Authorization": auth})
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    try:
        return response.status, json.loads(raw), raw
    except ValueError:
        return response.status, {}, raw


def test_files_reach_every_customer_and_only_the_offering_customer_uploads(relay):
    """The agent's file is announced to both customers and each downloads it; Kim's offer is
    announced to Lee too, but Lee can neither write into Kim's upload nor cancel it (`403
    not_sender`)."""
    talk = start_conversation(relay)
    lee = invite_another(talk, "Lee Second")
    data = b"price list " * 100
    offer = json.dumps(
        {"name": "prices.txt", "size": len(data), "type": "text/plain",
         "sha256": hashlib.sha256(data).hexdigest()}
    ).encode()  # fmt: skip
    files = f"/api/sessions/{talk.session_id}/files"
    status, body, _ = _http(relay, "POST", files, f"Bearer {talk.token}", offer)
    assert status == 201, body
    tid = body["transfer"]["id"]
    for client in (talk.customer, lee.chat):
        assert client.recv_type("file_offered")["transfer"]["id"] == tid
    status, _, _ = _http(
        relay, "PUT", f"/api/files/{tid}/content?offset=0", f"Bearer {talk.token}", data
    )
    assert status == 200
    for token in (talk.joined["customer_token"], lee.token):
        status, _, raw = _http(relay, "GET", f"/api/files/{tid}/content", f"Customer {token}")
        assert (status, raw) == (200, data)

    kim_auth = f"Customer {talk.joined['customer_token']}"
    status, body, _ = _http(relay, "POST", files, kim_auth, offer)
    tid = body["transfer"]["id"]
    assert lee.chat.recv_type("file_offered")["transfer"]["id"] == tid
    put = f"/api/files/{tid}/content?offset=0"
    status, body, _ = _http(relay, "PUT", put, f"Customer {lee.token}", b"sabotage")
    assert (status, body["error"]["code"]) == (403, "not_sender")
    status, body, _ = _http(relay, "DELETE", f"/api/files/{tid}", f"Customer {lee.token}")
    assert (status, body["error"]["code"]) == (403, "not_sender")
    status, _, _ = _http(relay, "PUT", put, kim_auth, data)
    assert status == 200


def test_a_customer_cancels_only_its_own_file_and_the_record_keeps_its_sender(relay):
    """With two customers and the agent on a real relay, a customer's cancel of the agent's
    file or of the other customer's is refused (`403 not_sender`) and both transfers go on;
    each record names its sender's participant id; the customer cancels its own, and the
    agent cancels the other customer's (everyone is told `file_cancelled`)."""
    talk = start_conversation(relay)
    kim = Guest("Kim Customer", talk.joined, talk.customer)
    lee = invite_another(talk, "Lee Second")
    data = b"brochure " * 50
    offer = json.dumps(
        {"name": "brochure.txt", "size": len(data), "type": "text/plain",
         "sha256": hashlib.sha256(data).hexdigest()}
    ).encode()  # fmt: skip
    files = f"/api/sessions/{talk.session_id}/files"
    auths = {
        "agent": f"Bearer {talk.token}",
        kim.participant_id: f"Customer {kim.token}",
        lee.participant_id: f"Customer {lee.token}",
    }
    kim_id, lee_id = kim.participant_id, lee.participant_id
    tids = {}
    for who, auth in auths.items():
        status, body, _ = _http(relay, "POST", files, auth, offer)
        assert status == 201, body
        assert body["transfer"]["sender_id"] == who
        tids[who] = body["transfer"]["id"]
        for client in (talk.agent, kim.chat, lee.chat):
            announced = client.recv_type("file_offered")["transfer"]
            assert (announced["id"], announced["sender_id"]) == (tids[who], who)

    for target in ("agent", lee_id):
        status, body, _ = _http(relay, "DELETE", f"/api/files/{tids[target]}", auths[kim_id])
        assert (status, body["error"]["code"]) == (403, "not_sender"), target
    status, body, _ = _http(relay, "GET", files, auths[lee.participant_id])
    listed = {t["id"]: t for t in body["transfers"]}
    assert {listed[tid]["sender_id"] for tid in tids.values()} == set(tids)
    assert {t["state"] for t in listed.values()} == {"offered"}

    # The agent's file still uploads, and Lee's own: nothing was cancelled.
    for who in ("agent", lee_id):
        put = f"/api/files/{tids[who]}/content?offset=0"
        status, body, _ = _http(relay, "PUT", put, auths[who], data)
        assert (status, body["transfer"]["state"]) == (200, "ready"), who

    status, body, _ = _http(relay, "DELETE", f"/api/files/{tids[kim_id]}", auths[kim_id])
    assert (status, body["transfer"]["cancelled_by"]) == (200, "customer")
    status, body, _ = _http(relay, "DELETE", f"/api/files/{tids[lee_id]}", auths["agent"])
    assert (status, body["transfer"]["cancelled_by"]) == (200, "agent")
    for client in (talk.agent, kim.chat, lee.chat):
        cancelled = [client.recv_type("file_cancelled")["transfer"] for _ in range(2)]
        assert [(t["id"], t["sender_id"]) for t in cancelled] == [
            (tids[kim_id], kim_id),
            (tids[lee_id], lee_id),
        ]


def test_in_admission_mode_an_invite_code_knocks_and_the_agent_admits_a_second_customer(
    relay_factory,
):
    """After the relay-wide wrong-code budget, an Invite another code knocks even though the
    session is active; the agent admits it and the first customer is still seated."""
    relay = relay_factory("--guess-budget", "3")
    talk = start_conversation(relay)
    talk.agent.send({"type": "renew_code"})
    code = talk.agent.recv_type("session_updated")["session"]["code"]
    for n in range(3):
        wrong = "000000000" if code != "000000000" else "111111111"
        post_json_from(relay.url, "/api/join", {"code": wrong}, f"127.0.8.{n + 1}", 10)
    status, knocking = post_json_from(
        relay.url, "/api/join", {"code": code, "name": "Lee"}, "127.0.9.9", 10
    )
    assert status == 202, knocking
    knocks = talk.agent.recv_type("knocks_changed")["knocks"]
    talk.agent.send({"type": "admit_knock", "knock_id": knocks[0]["id"]})
    status, admitted, _ = talk.api.request(
        "GET", f"/api/knocks/{knocking['knock_secret']}?wait_s=10"
    )
    assert admitted["knock"]["state"] == "admitted"
    update = talk.agent.recv_type("session_updated")["session"]
    assert update["customer_name"] == "Kim Customer, Lee"


def test_the_first_yes_to_a_presentation_answers_for_everyone(relay):
    """Asked together, Kim's "no" is not yet an answer while Lee may still say yes; Lee's "yes"
    reaches the agent and both customers once; a later "yes" is not sent again."""
    talk = start_conversation(relay)
    lee = invite_another(talk, "Lee Second")
    talk.agent.send({"type": "request_presentation"})
    for client in (talk.customer, lee.chat):
        client.recv_type("presentation_requested")
    talk.customer.send({"type": "answer_presentation", "accept": False})
    lee.chat.send({"type": "answer_presentation", "accept": True})
    lee.chat.send({"type": "answer_presentation", "accept": True})
    talk.agent.chat("after the answers", "a-1")
    answers = []
    while (message := talk.agent.recv())["type"] != "chat_message":
        if message["type"] == "presentation_answered":
            answers.append(message["accept"])
    assert answers == [True]
    assert talk.customer.recv_type("presentation_answered")["accept"] is True


def test_after_a_relay_restart_every_customer_is_back_in_its_seat(relay):
    """Both seats survive a restart: each customer reconnects with its token, the roster
    lists both, and the agent sees each come back (`rejoined`), not join anew."""
    talk = start_conversation(relay)
    lee = invite_another(talk, "Lee Second")
    relay.restart()
    agent = ChatClient(relay.ws_url, "agent", talk.session_id, talk.token)
    welcome = agent.connect()
    assert [p["name"] for p in welcome["session"]["participants"]][1:] == [
        "Kim Customer",
        "Lee Second",
    ]
    for token, pid in (
        (talk.joined["customer_token"], talk.joined["participant_id"]),
        (lee.token, lee.participant_id),
    ):
        again = ChatClient(relay.ws_url, "customer", talk.session_id, token)
        assert again.connect()["you"]["participant_id"] == pid
        joined = agent.recv_type("participant_joined")
        assert (joined["participant_id"], joined["rejoined"]) == (pid, True)
