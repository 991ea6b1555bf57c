"""STUN/TURN servers for calls (CH9), with short-lived TURN credentials per participant.

The TURN REST scheme coturn implements with ``use-auth-secret``: the username is
``<expiry>:<participant>`` (UNIX seconds), the password ``base64(HMAC-SHA1(secret,
username))``. The TURN server checks the HMAC with the same shared secret and refuses a
username whose expiry has passed, so a credential handed to a participant works for
``ttl_s`` and for nobody who was not given it. Pure: the caller passes the time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

DEFAULT_TURN_TTL_S = 3600
MIN_TURN_TTL_S = 60
_SCHEMES = ("stun:", "stuns:", "turn:", "turns:")


def turn_credentials(secret: str, participant: str, now: float, ttl_s: int) -> tuple[str, str]:
    """(username, password) for one participant, valid until ``now + ttl_s``."""
    username = f"{int(now) + int(ttl_s)}:{participant}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class IceConfig:
    """The relay's ``--stun-url``, ``--turn-url``, ``--turn-secret`` and ``--turn-ttl``.

    Nothing configured: the list is empty and peers use their host candidates only (a LAN,
    or loopback in tests).
    """

    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str = field(default="", repr=False)
    turn_ttl_s: int = DEFAULT_TURN_TTL_S

    def __post_init__(self) -> None:
        for url in (*self.stun_urls, *self.turn_urls):
            if not url.startswith(_SCHEMES) or len(url) > 512 or any(c in url for c in " \n"):
                raise ValueError(f"not a STUN or TURN URL: {url!r}")
        for url in self.stun_urls:
            if not url.startswith(("stun:", "stuns:")):
                raise ValueError(f"--stun-url takes stun: or stuns: URLs, not {url!r}")
        for url in self.turn_urls:
            if not url.startswith(("turn:", "turns:")):
                raise ValueError(f"--turn-url takes turn: or turns: URLs, not {url!r}")
        if self.turn_urls and not self.turn_secret:
            raise ValueError("--turn-url needs --turn-secret (coturn's static-auth-secret)")
        if self.turn_ttl_s < MIN_TURN_TTL_S:
            raise ValueError(f"--turn-ttl is at least {MIN_TURN_TTL_S} seconds")

    def servers_for(self, participant: str, now: float) -> list[dict[str, Any]]:
        """The ``ice_servers`` one participant gets (RTCIceServer dictionaries)."""
        servers: list[dict[str, Any]] = []
        if self.stun_urls:
            servers.append({"urls": list(self.stun_urls)})
        if self.turn_urls:
            username, credential = turn_credentials(
                self.turn_secret, participant, now, self.turn_ttl_s
            )
            servers.append(
                {"urls": list(self.turn_urls), "username": username, "credential": credential}
            )
        return servers
