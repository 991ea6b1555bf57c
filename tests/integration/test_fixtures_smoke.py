"""The shared fixtures start a real relay that answers HTTP and knows the agents they created."""

from tests.support.api import Api
from tests.support.relay import ALICE, RelayProcess


def test_health_answers_ok(relay: RelayProcess, api: Api) -> None:
    """GET /health answers 200 with a JSON body whose status is "ok"."""
    status, body, headers = api.request("GET", "/health")

    assert status == 200, body
    assert headers.get_content_type() == "application/json"
    assert body["status"] == "ok"


def test_agent_created_before_start_can_log_in(api: Api) -> None:
    """Alice, created with `users add` before the relay started, logs in and gets a token."""
    token = api.login(ALICE.username, ALICE.password)

    assert isinstance(token, str) and token


def test_wrong_password_is_an_answer_not_an_exception(api: Api) -> None:
    """request() returns a 401 answer for a wrong password instead of raising."""
    status, body, _ = api.request(
        "POST", "/api/login", json={"username": ALICE.username, "password": "wrong-password"}
    )

    assert status == 401, body
    assert body["error"]["code"] == "bad_credentials"


def test_restart_keeps_the_data_directory(relay: RelayProcess) -> None:
    """After a crash and a restart on the same data directory, alice still logs in."""
    relay.kill()
    relay.restart()

    assert relay.running
    assert Api(relay.url).login(ALICE.username, ALICE.password)
