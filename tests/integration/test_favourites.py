"""Favourites (A9, CH7) and remote print through a real relay: links and documents follow the
account, documents go into a session as chat files, links as cards, and a print request waits
for the customer's answer."""

from __future__ import annotations

import hashlib

from suite.files.client import FileTransferClient
from tests.support.api import Api
from tests.support.conversation import start_conversation
from tests.support.favourites import FAVOURITES, http_request, pdf_bytes, upload_document
from tests.support.files import png_bytes
from tests.support.relay import ALICE, BOB

LINKS = f"{FAVOURITES}/links"
DOCUMENTS = f"{FAVOURITES}/documents"
SHOP = {"title": "Our shop", "url": "https://shop.example/spring?ref=chat"}
PRICES = {"title": "가격표", "url": "http://prices.example/"}


def test_links_are_added_renamed_reordered_and_removed_per_account(relay, api):
    """The whole list is saved at once (ids kept, new ones given); another agent sees none of
    it; the list survives a relay restart."""
    token = api.login(ALICE.username, ALICE.password)
    assert api.request("GET", FAVOURITES, token=token)[1] == {"links": [], "documents": []}
    status, saved, _ = api.request("PUT", LINKS, json={"links": [SHOP, PRICES]}, token=token)
    assert status == 200, saved
    shop, prices = saved["links"]
    assert (shop["title"], prices["url"]) == ("Our shop", PRICES["url"]) and shop["id"]
    renamed = [{**prices}, {**shop, "title": "Spring shop"}]  # reordered and renamed
    saved = api.request("PUT", LINKS, json={"links": renamed}, token=token)[1]
    assert [link["id"] for link in saved["links"]] == [prices["id"], shop["id"]]
    assert saved["links"][1]["title"] == "Spring shop"
    saved = api.request("PUT", LINKS, json={"links": [saved["links"][1]]}, token=token)[1]
    assert [link["title"] for link in saved["links"]] == ["Spring shop"]
    bob = api.login(BOB.username, BOB.password)
    assert api.request("GET", FAVOURITES, token=bob)[1]["links"] == []
    relay.kill()
    relay.restart()
    fresh = Api(relay.url)
    token = fresh.login(ALICE.username, ALICE.password)
    assert fresh.request("GET", FAVOURITES, token=token)[1]["links"] == saved["links"]


def test_bad_links_are_refused_with_the_rule_and_nothing_is_stored(api):
    """URLs the chat would not link (other schemes, a user name, no host, spaces, too long)
    and bad titles are 400s naming the item; the stored list stays as it was."""
    token = api.login(ALICE.username, ALICE.password)
    api.request("PUT", LINKS, json={"links": [SHOP]}, token=token)
    cases = [
        ({"title": "x", "url": "javascript:alert(1)"}, "bad_url", "links[0].url"),
        ({"title": "x", "url": "ftp://files.example/"}, "bad_url", "http://"),
        ({"title": "x", "url": "https://bank.example@evil.example/"}, "bad_url", "user name"),
        ({"title": "x", "url": "https:///nohost"}, "bad_url", "host"),
        ({"title": "x", "url": "https://a.example/a b"}, "bad_url", "no spaces"),
        ({"title": "x", "url": "https://a.example/" + "a" * 2048}, "bad_url", "2048"),
        ({"title": " ", "url": "https://a.example/"}, "bad_request", "links[0].title"),
        ({"title": "a\nb", "url": "https://a.example/"}, "bad_request", "one line"),
        ({"url": "https://a.example/"}, "bad_request", "'title' and 'url'"),
    ]
    for link, code, words in cases:
        status, body, _ = api.request("PUT", LINKS, json={"links": [link]}, token=token)
        assert (status, body["error"]["code"]) == (400, code), (link, body)
        assert words in body["error"]["message"], (link, body)
    too_many = [{"title": f"t{i}", "url": f"https://a.example/{i}"} for i in range(101)]
    status, body, _ = api.request("PUT", LINKS, json={"links": too_many}, token=token)
    assert (status, body["error"]["code"]) == (400, "too_many_favourites")
    assert [link["url"] for link in api.request("GET", FAVOURITES, token=token)[1]["links"]] == [
        SHOP["url"]
    ]


def test_documents_are_kept_renamed_reordered_and_removed_and_only_their_owner_sees_them(
    relay, api
):
    """An upload is kept with its sha256 and a safe name; rename, reorder and remove work; another
    agent can neither list, rename, remove nor send it."""
    token = api.login(ALICE.username, ALICE.password)
    pdf = pdf_bytes()
    status, body = upload_document(relay, token, "../../etc/price list.pdf", pdf)
    assert status == 201, body
    first = body["document"]
    assert first["name"] == "price list.pdf" and first["size"] == len(pdf)
    assert first["sha256"] == hashlib.sha256(pdf).hexdigest()
    second = upload_document(relay, token, "logo.png", png_bytes(), "image/png")[1]["document"]
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    status, body = http_request(
        relay.port, "PATCH", f"{DOCUMENTS}/{first['id']}", b'{"name": "Prices 2026.pdf"}', auth
    )
    assert (status, body["document"]["name"]) == (200, "Prices 2026.pdf")
    order = b'{"order": ["%s", "%s"]}' % (second["id"].encode(), first["id"].encode())
    status, body = http_request(relay.port, "PUT", f"{DOCUMENTS}/order", order, auth)
    assert [d["name"] for d in body["documents"]] == ["logo.png", "Prices 2026.pdf"]
    status, body = http_request(relay.port, "PUT", f"{DOCUMENTS}/order", b'{"order": []}', auth)
    assert (status, body["error"]["code"]) == (400, "bad_request")

    bob = api.login(BOB.username, BOB.password)
    bob_auth = {"Authorization": f"Bearer {bob}", "Content-Type": "application/json"}
    assert api.request("GET", FAVOURITES, token=bob)[1]["documents"] == []
    for method, body_bytes in (("PATCH", b'{"name": "mine.pdf"}'), ("DELETE", None)):
        status, body = http_request(
            relay.port, method, f"{DOCUMENTS}/{first['id']}", body_bytes, bob_auth
        )
        assert (status, body["error"]["code"]) == (404, "favourite_not_found")
    bob_support = api.new_support(bob)
    status, body = http_request(
        relay.port,
        "POST",
        f"/api/sessions/{bob_support['session_id']}/favourites/{first['id']}",
        None,
        bob_auth,
    )
    assert status in (404, 409) and body["error"]["code"] in ("favourite_not_found", "no_customer")

    status, _ = http_request(relay.port, "DELETE", f"{DOCUMENTS}/{second['id']}", None, auth)
    assert status == 204
    names = [d["name"] for d in api.request("GET", FAVOURITES, token=token)[1]["documents"]]
    assert names == ["Prices 2026.pdf"]
    kept = sorted(p.name for p in (relay.data_dir / "favourites").iterdir())
    assert kept == [f"{first['id']}.bin"]


def test_the_document_quota_and_the_file_rules_refuse_clearly(relay_factory):
    """The 21st document is refused with favourites_full; a file over the relay's size cap or of
    a type it does not allow is refused as a chat file would be; a missing name is a 400."""
    relay = relay_factory("--max-file-size", "1M", "--file-types", "pdf,png")
    token = Api(relay.url).login(ALICE.username, ALICE.password)
    for index in range(20):
        status, body = upload_document(relay, token, f"doc{index}.pdf", b"%PDF-1.4 x")
        assert status == 201, body
    status, body = upload_document(relay, token, "one-more.pdf", b"%PDF-1.4 x")
    assert (status, body["error"]["code"]) == (413, "favourites_full")
    assert "20" in body["error"]["message"]
    status, body = upload_document(relay, token, "big.pdf", b"x" * (1024 * 1024 + 1))
    assert (status, body["error"]["code"]) == (413, "file_too_large")
    status, body = upload_document(relay, token, "tool.exe", b"MZ")
    assert (status, body["error"]["code"]) == (415, "file_type_not_allowed")
    status, body = upload_document(relay, token, "", b"x")
    assert (status, body["error"]["code"]) == (400, "bad_request")


def test_a_favourite_document_reaches_the_customer_as_a_chat_file_with_its_sha256(relay, tmp_path):
    """Sending a kept document puts a ready chat file in the session; the customer downloads
    it and its sha256 matches the kept one."""
    talk = start_conversation(relay)
    pdf = pdf_bytes("Spring offer")
    document = upload_document(relay, talk.token, "offer.pdf", pdf)[1]["document"]
    status, body = http_request(
        relay.port,
        "POST",
        f"/api/sessions/{talk.session_id}/favourites/{document['id']}",
        None,
        {"Authorization": f"Bearer {talk.token}"},
    )
    assert status == 201, body
    entry = talk.customer.recv_type("chat_message")
    assert entry["file"]["name"] == "offer.pdf" and entry["role"] == "agent"
    ready = talk.customer.recv_type("file_ready")["transfer"]
    assert ready["sha256"] == document["sha256"] and ready["state"] == "ready"
    customer = FileTransferClient(relay.url, f"Customer {talk.joined['customer_token']}")
    saved = customer.receive(ready, tmp_path)
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == hashlib.sha256(pdf).hexdigest()


def test_a_link_card_reaches_the_customer_and_bad_links_or_customers_are_refused(relay):
    """send_link stores a chat entry with `link` (text is the URL) for everyone; a link the
    chat would not link is refused; a customer cannot send one."""
    talk = start_conversation(relay)
    talk.agent.send({"type": "send_link", "client_id": "l1", **SHOP})
    card = talk.customer.recv_type("chat_message")
    assert card["link"] == SHOP and card["text"] == SHOP["url"] and card["role"] == "agent"
    assert talk.agent.recv_type("chat_message")["id"] == card["id"]
    talk.agent.send({"type": "send_link", "client_id": "l2", "title": "x", "url": "javascript:x"})
    error = talk.agent.recv_type("error")
    assert error["code"] == "bad_message" and error["client_id"] == "l2"
    talk.customer.send({"type": "send_link", "client_id": "c1", **SHOP})
    assert talk.customer.recv_type("error")["code"] == "not_allowed"
    replay = talk.reconnect_customer()
    assert [m.get("link") for m in replay["missed"]] == [SHOP]


def test_print_waits_for_the_customer_and_a_decline_reaches_the_agent(relay, tmp_path):
    """request_print of a sent PDF asks the customer; the answer goes to the agent once;
    unprintable, unknown or customer-sent requests are refused."""
    talk = start_conversation(relay)
    agent_files = FileTransferClient(relay.url, f"Bearer {talk.token}")
    sheet = tmp_path / "order form.pdf"
    sheet.write_bytes(pdf_bytes("Order form"))
    sent = agent_files.send(talk.session_id, sheet)
    talk.agent.send({"type": "request_print", "transfer_id": sent["id"]})
    asked = talk.customer.recv_type("print_requested")
    assert (asked["name"], asked["mime"], asked["size"]) == (
        "order form.pdf",
        "application/pdf",
        sheet.stat().st_size,
    )
    assert talk.agent.recv_type("print_requested")["transfer_id"] == sent["id"]
    talk.reconnect_customer()  # a reloaded page is asked again while the request is open
    assert talk.customer.recv_type("print_requested")["transfer_id"] == sent["id"]
    talk.customer.send({"type": "answer_print", "transfer_id": sent["id"], "accept": False})
    answer = talk.agent.recv_type("print_answered")
    assert (answer["accept"], answer["participant_id"]) == (
        False,
        talk.joined["participant_id"],
    )
    talk.customer.send({"type": "answer_print", "transfer_id": sent["id"], "accept": True})
    assert talk.customer.recv_type("error")["code"] == "not_allowed"  # answered already
    welcome = talk.reconnect_customer()  # answered: not asked again
    assert welcome["type"] == "welcome"
    talk.agent.chat("after the reload", "a-1")  # what comes after anything sent on the welcome
    talk.customer.recv_type("chat_message")
    assert [m["type"] for m in talk.customer.received[1:]] == ["chat_message"]

    note = tmp_path / "note.txt"
    note.write_text("not printable")
    text_file = agent_files.send(talk.session_id, note)
    for message, who in (
        ({"type": "request_print", "transfer_id": text_file["id"]}, talk.agent),
        ({"type": "request_print", "transfer_id": "no-such-file"}, talk.agent),
        ({"type": "request_print", "transfer_id": sent["id"]}, talk.customer),
        ({"type": "answer_print", "transfer_id": sent["id"], "accept": True}, talk.agent),
    ):
        who.send(message)
        assert who.recv_type("error")["code"] == "not_allowed", message
