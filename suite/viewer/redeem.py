"""Exchange the viewer's one-time ticket at the relay for a place in the session (stdlib HTTP)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from suite.net.connect import environment_connector, opener
from suite.net.policy import NetworkError

TIMEOUT_S = 15.0


class RedeemError(Exception):
    """The ticket could not be exchanged."""


class TicketRefusedByRelay(RedeemError):
    """The relay said no (``code``: ``session_over``, ``ticket_used``, ``ticket_expired``, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class RelayUnreachable(RedeemError):
    """No answer from the relay (network down, wrong address): the ticket is still good."""


@dataclass(frozen=True, slots=True)
class Seat:
    """What the viewer needs to open the customer's screen socket."""

    session_id: str
    customer_token: str
    agent_name: str


def redeem(relay_url: str, ticket: str, timeout_s: float = TIMEOUT_S) -> Seat:
    """POST the ticket to ``<relay_url>/api/viewer/redeem``.

    Raises:
        TicketRefusedByRelay: the relay refused the ticket; the file is of no more use.
        RelayUnreachable: the relay did not answer; running the viewer again may work.
    """
    request = urllib.request.Request(
        relay_url.rstrip("/") + "/api/viewer/redeem",
        data=json.dumps({"ticket": ticket}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        # The customer's environment proxy and the system's certificate store (suite/net).
        with opener(environment_connector(timeout_s)).open(request, timeout=timeout_s) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as error:
        try:
            details = json.loads(error.read())["error"]
            code, message = str(details["code"]), str(details["message"])
        except (ValueError, KeyError, TypeError):
            raise RelayUnreachable(f"the relay answered {error.code} without details") from None
        if error.code >= 500 or code == "throttled":
            raise RelayUnreachable(message) from None
        raise TicketRefusedByRelay(code, message) from None
    except NetworkError as error:
        raise RelayUnreachable(f"cannot reach {relay_url}: {error.message}") from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise RelayUnreachable(f"cannot reach {relay_url}: {reason}") from None
    try:
        return Seat(str(body["session_id"]), str(body["customer_token"]), str(body["agent_name"]))
    except (KeyError, TypeError):
        raise RelayUnreachable("the relay's answer lacks the session") from None
