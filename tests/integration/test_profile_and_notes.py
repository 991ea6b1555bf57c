"""Agent profile photos (A2) and consultation notes (CH5) through a real relay."""

from __future__ import annotations

import base64
import hashlib
import urllib.request

from tests.support.conversation import start_conversation

# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _put_photo(api, token, data: bytes):
    request = urllib.request.Request(
        api.base_url + "/api/me/photo",
        data=data,
        method="PUT",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_photo_upload_is_checked_and_shown_to_customers(api):
    token = api.login("alice", "alice-password-1")
    assert _put_photo(api, token, b"<svg onload=alert(1)>")[0] == 400
    assert _put_photo(api, token, b"\x89PNG\r\n\x1a\n" + b"0" * (1024 * 1024 + 1))[0] == 413
    status, _ = _put_photo(api, token, PNG)
    assert status == 200
    photo_url = api.request("GET", "/api/me", token=token)[1]["agent"]["photo_url"]
    assert photo_url.startswith("/api/agents/alice/photo")
    version = hashlib.sha256(PNG).hexdigest()[:20]
    assert photo_url == f"/api/agents/alice/photo?v={version}"
    with urllib.request.urlopen(api.base_url + photo_url, timeout=10) as response:
        assert response.read() == PNG and response.headers["Content-Type"] == "image/png"
        assert response.headers["ETag"] == f'"{version}"'
        assert "immutable" in response.headers["Cache-Control"]
    # The bare address is revalidated: 304 while the photo has not changed.
    bare = "/api/agents/alice/photo"
    status, _, headers = api.request("GET", bare, headers={"If-None-Match": f'"{version}"'})
    assert status == 304 and headers["Cache-Control"] == "no-cache"
    assert api.request("GET", bare, headers={"If-None-Match": '"other"'})[0] == 200
    support = api.new_support(token)
    waiting = api.request("GET", "/api/waiting")[1]["agents"]
    assert [a["photo_url"] for a in waiting if a["icon"] == support["icon"]] == [photo_url]
    assert api.join(code=support["code"])["agent"]["photo_url"] == photo_url
    assert api.request("GET", "/api/agents/bob/photo")[0] == 404
    assert api.request("GET", "/api/agents/..%2f..%2fetc/photo")[0] == 404


def test_notes_are_saved_and_stay_editable_after_the_end(relay):
    talk = start_conversation(relay)
    path = f"/api/sessions/{talk.session_id}/notes"
    assert talk.api.request("GET", path, token=talk.token)[1]["notes"] == ""
    saved = talk.api.request(
        "PUT", path, json={"notes": "Wants 3 units, call Tuesday"}, token=talk.token
    )
    assert saved[0] == 200 and saved[1]["updated_at"] > 0
    talk.agent.send({"type": "end_session"})
    talk.agent.recv_type("session_ended")
    edited = talk.api.request("PUT", path, json={"notes": "Ordered 3 units"}, token=talk.token)
    assert edited[0] == 200
    relay.kill()
    relay.restart()
    from tests.support.api import Api

    api = Api(relay.url)
    token = api.login("alice", "alice-password-1")
    assert api.request("GET", path, token=token)[1]["notes"] == "Ordered 3 units"
    bob = api.login("bob", "bob-password-1")
    assert api.request("GET", path, token=bob)[0] == 404
    assert api.request("PUT", path, json={"notes": "mine now"}, token=bob)[0] == 404
    too_long = api.request("PUT", path, json={"notes": "x" * 20_001}, token=token)
    assert too_long[0] == 400
