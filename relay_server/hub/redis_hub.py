"""The Redis hub: what several relay nodes share live (``--hub redis://host:port/db``).

Keys (prefix ``rs:``), each with an expiry so a dead node leaves nothing behind:

- ``rs:claim:<kind>:<value>`` = holder: ``SET NX PX`` (atomic; first come wins), renewed and
  released by a Lua script that checks the holder (nobody drops another's claim).
- ``rs:node:<node>``: the node's lease (``SET PX``, renewed each tick: one round trip
  whatever its number of sessions, which also sets the lease's end in ``rs:nodes``, a sorted
  set that ``live_nodes`` reads); ``rs:owner:<session>`` = node id counts only while that
  node's lease lives (a script checks both), so a dead node frees all its sessions at once.
- ``rs:hits:<key>:<window>`` = count: ``INCR`` + ``PEXPIRE`` in one pipeline (one round trip).
- ``rs:presence:<name>`` = node id, ``SET PX``.
- Delivery: ``PUBLISH rs:<db>:chat:<session>`` of ``{"id", "node", "frame"}``; a node subscribes to
  the sessions it has members of. One round trip per chat message; the message is already
  committed in the store when it is published, so a node that misses it (pub/sub does not
  keep messages) replays it from the store at the client's reconnect (``welcome.missed``).
- Notices: ``PUBLISH rs:<db>:notice`` of ``{"node", "topic", "text"}``, one channel that every
  node subscribes to once something listens (``on_announce``). Pub/sub keeps nothing: after the
  subscription was lost and is taken again, the listeners hear ``RESYNC`` (read everything).
- Channels name the database (``<db>``, the URL's number) because Redis's pub/sub ignores
  databases: two deployments (or the test suite's relays) on one Redis, each in its own
  database, must not hear each other's chat and notices.

redis-py is pure Python: under the relay's gevent its sockets cooperate, and the subscriber
loop is a thread (a greenlet once monkey-patched).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Collection
from typing import Any

import redis

from relay_server.hub.interface import (
    RESYNC,
    DeliveryHandler,
    HubError,
    NoticeHandler,
    OwnerLease,
)

logger = logging.getLogger(__name__)

PREFIX = "rs:"
SOCKET_TIMEOUT_S = 5.0

# KEYS[1] the key, ARGV[1] the holder, ARGV[2] the lifetime in ms: take it if free, renew it
# if ours; returns 1 when held by ARGV[1] afterwards, else 0.
_CLAIM = """
local held = redis.call('GET', KEYS[1])
if held == false or held == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"""
# Delete KEYS[1] only when ARGV[1] holds it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
# KEYS[1] the session's owner key, KEYS[2] this node's lease; ARGV[1] this node, ARGV[2] the
# lease in ms, ARGV[3] the prefix of nodes' leases, ARGV[4] how long the owner entry is kept
# (ms): take the session unless a live node owns it; returns the owner. (The owner's lease
# key is read by name: one Redis, not a cluster.)
_TAKE = """
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. owner) == 1 then
  return owner
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[4])
if redis.call('EXISTS', KEYS[2]) == 0 then redis.call('SET', KEYS[2], '1', 'PX', ARGV[2]) end
return ARGV[1]
"""
# KEYS[1] the session's owner key; ARGV[1] the prefix of nodes' leases: {the live owner, the
# ms its node's lease has left, the ms its owner entry has left (set for OWNER_KEEP_S when
# taken: how long it has been owned)}, or {false, 0, 0} (read together: wrong_node's hint).
_OWNER = """
local owner = redis.call('GET', KEYS[1])
if owner then
  local left = redis.call('PTTL', ARGV[1] .. owner)
  if left > 0 then return {owner, left, redis.call('PTTL', KEYS[1])} end
end
return {false, 0, 0}
"""
# KEYS[1] this node's lease, KEYS[2] the nodes' set; ARGV[1] this node, ARGV[2] the lease in
# ms: renew the lease, and its end (the server's clock) in the set that live_nodes reads; a
# node gone for a day leaves the set.
_BEAT = """
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 86400000)
return 1
"""
# KEYS[1] the nodes' set: the nodes whose lease has not ended by the server's clock.
_LIVE = """
local t = redis.call('TIME')
return redis.call('ZRANGEBYSCORE', KEYS[1], t[1] * 1000 + math.floor(t[2] / 1000), '+inf')
"""
NODE_LEASE = PREFIX + "node:"
NODES = PREFIX + "nodes"  # node -> when its lease ends (ms, the server's clock)
OWNER_KEEP_S = 24 * 3600.0  # an owner entry outlives any session; ended ones are deleted


class RedisHub:
    kind = "redis"

    def __init__(self, url: str, node_id: str, password: str | None = None):
        self.node_id = node_id
        self.url = url
        self._trips = 0
        self._trips_lock = threading.Lock()
        try:
            self._redis = redis.Redis.from_url(
                url, password=password, socket_timeout=SOCKET_TIMEOUT_S, decode_responses=True
            )
            self._claim = self._redis.register_script(_CLAIM)
            self._release = self._redis.register_script(_RELEASE)
            self._take = self._redis.register_script(_TAKE)
            self._owner = self._redis.register_script(_OWNER)
            self._beat = self._redis.register_script(_BEAT)
            self._live = self._redis.register_script(_LIVE)
            self._redis.ping()
            db = int(self._redis.connection_pool.connection_kwargs.get("db") or 0)
        except (redis.RedisError, ValueError) as error:
            raise HubError(f"the Redis hub at {url} cannot be used: {error}") from None
        self._chat_channel = f"{PREFIX}{db}:chat:"
        self._notice_channel = f"{PREFIX}{db}:notice"
        self._pubsub: Any = self._redis.pubsub(ignore_subscribe_messages=True)
        self._handlers: list[DeliveryHandler] = []
        self._notice_handlers: list[NoticeHandler] = []
        self._followed: set[str] = set()
        self._listener: threading.Thread | None = None
        self._closed = False

    # -- claims, leases, throttles, presence ---------------------------------------------------

    def claim(self, kind: str, value: str, holder: str, ttl_s: float) -> bool:
        key = f"{PREFIX}claim:{kind}:{value}"
        return bool(self._call(self._claim, keys=[key], args=[holder, _ms(ttl_s)]))

    def release(self, kind: str, value: str, holder: str) -> None:
        self._call(self._release, keys=[f"{PREFIX}claim:{kind}:{value}"], args=[holder])

    def holder(self, kind: str, value: str) -> str | None:
        return self._call(self._redis.get, f"{PREFIX}claim:{kind}:{value}")

    def take_session(self, session_id: str, ttl_s: float) -> str:
        keys = [f"{PREFIX}owner:{session_id}", NODE_LEASE + self.node_id]
        args = [self.node_id, _ms(ttl_s), NODE_LEASE, _ms(OWNER_KEEP_S)]
        return str(self._call(self._take, keys=keys, args=args))

    def take_sessions(self, session_ids: Collection[str], ttl_s: float) -> dict[str, str]:
        """One pipeline of the take script, one call per session (each atomic)."""
        wanted = list(dict.fromkeys(session_ids))
        if not wanted:
            return {}
        pipe = self._redis.pipeline(transaction=False)
        args: list[str | int] = [self.node_id, _ms(ttl_s), NODE_LEASE, _ms(OWNER_KEEP_S)]
        for session_id in wanted:
            keys = [f"{PREFIX}owner:{session_id}", NODE_LEASE + self.node_id]
            self._take(keys=keys, args=args, client=pipe)
        owners = self._call(pipe.execute)
        return {session_id: str(owner) for session_id, owner in zip(wanted, owners, strict=True)}

    def heartbeat(self, ttl_s: float) -> None:
        self._call(self._beat, keys=[NODE_LEASE + self.node_id, NODES],
                   args=[self.node_id, _ms(ttl_s)])  # fmt: skip

    def owner(self, session_id: str) -> str | None:
        return self.owner_lease(session_id)[0]

    def owner_lease(self, session_id: str) -> OwnerLease:
        owner, left, entry_left = self._call(
            self._owner, keys=[f"{PREFIX}owner:{session_id}"], args=[NODE_LEASE]
        )
        if not owner:
            return OwnerLease(None, 0, 0)
        return OwnerLease(owner, int(left), max(0, _ms(OWNER_KEEP_S) - int(entry_left)))

    def live_nodes(self) -> set[str]:
        return set(self._call(self._live, keys=[NODES]))

    def hand_over(self, session_id: str) -> None:
        self._call(self._release, keys=[f"{PREFIX}owner:{session_id}"], args=[self.node_id])

    def leave(self) -> None:
        pipe = self._redis.pipeline(transaction=False)
        pipe.delete(NODE_LEASE + self.node_id)
        pipe.zrem(NODES, self.node_id)
        self._call(pipe.execute)

    def hit(self, key: str, window_s: float, now: float) -> int:
        window_key = f"{PREFIX}hits:{key}:{int(now // window_s)}"
        pipe = self._redis.pipeline(transaction=False)
        pipe.incr(window_key)
        pipe.pexpire(window_key, _ms(window_s * 2))
        hits, _ = self._call(pipe.execute)
        return int(hits)

    def count(self, key: str, window_s: float, now: float) -> int:
        return int(self._call(self._redis.get, f"{PREFIX}hits:{key}:{int(now // window_s)}") or 0)

    def forget(self, key: str) -> None:
        """Nothing to do: Redis expires the windows itself."""

    def set_presence(self, name: str, ttl_s: float) -> None:
        self._call(self._redis.set, f"{PREFIX}presence:{name}", self.node_id, px=_ms(ttl_s))

    def present(self, name: str) -> str | None:
        return self._call(self._redis.get, f"{PREFIX}presence:{name}")

    # -- delivery ------------------------------------------------------------------------------

    def publish(self, session_id: str, message_id: str, frame: str) -> None:
        payload = json.dumps({"id": message_id, "node": self.node_id, "frame": frame})
        self._call(self._redis.publish, self._chat_channel + session_id, payload)

    def follow(self, session_id: str) -> None:
        if session_id in self._followed:
            return
        self._followed.add(session_id)
        self._call(self._pubsub.subscribe, self._chat_channel + session_id)
        self._start_listener()

    def _start_listener(self) -> None:
        if self._listener is None:
            self._listener = threading.Thread(
                target=self._listen, name="redis-hub-listener", daemon=True
            )
            self._listener.start()

    def unfollow(self, session_id: str) -> None:
        if session_id in self._followed:
            self._followed.discard(session_id)
            self._call(self._pubsub.unsubscribe, self._chat_channel + session_id)

    def on_delivery(self, handler: DeliveryHandler) -> None:
        self._handlers.append(handler)

    def announce(self, topic: str, text: str) -> None:
        payload = json.dumps({"node": self.node_id, "topic": topic, "text": text})
        self._call(self._redis.publish, self._notice_channel, payload)

    def on_announce(self, handler: NoticeHandler) -> None:
        self._notice_handlers.append(handler)
        if len(self._notice_handlers) == 1:
            self._call(self._pubsub.subscribe, self._notice_channel)
            self._start_listener()

    def _listen(self) -> None:
        while not self._closed:
            if not self._pubsub.subscribed and (self._followed or self._notice_handlers):
                self._resubscribe()  # a subscription again after a failed one
                continue
            try:
                message = self._pubsub.get_message(timeout=1.0)
            except (redis.RedisError, OSError, ValueError):
                if self._closed:
                    return
                logger.exception("the Redis hub's subscription failed; subscribing again")
                self._resubscribe()
                continue
            if message is None or message.get("type") != "message":
                continue
            try:
                data = json.loads(message["data"])
                if data["node"] == self.node_id:
                    continue  # our own publication: already delivered here
                if message["channel"] == self._notice_channel:
                    self._notify(str(data["topic"]), str(data["text"]))
                    continue
                session_id = message["channel"][len(self._chat_channel) :]
                for handler in self._handlers:
                    handler(session_id, str(data["id"]), str(data["frame"]))
            except Exception:
                logger.exception("a hub delivery could not be handled")

    def _notify(self, topic: str, text: str) -> None:
        for handler in list(self._notice_handlers):
            try:
                handler(topic, text)
            except Exception:
                logger.exception("a hub notice could not be handled", extra={"topic": topic})

    def _resubscribe(self) -> None:
        try:
            self._pubsub.reset()
            channels = [self._chat_channel + s for s in self._followed]
            if self._notice_handlers:
                channels.append(self._notice_channel)
            if channels:
                self._pubsub.subscribe(*channels)
        except redis.RedisError:
            logger.warning("the Redis hub is still unreachable")
            threading.Event().wait(1.0)
            return
        if self._notice_handlers:
            self._notify(RESYNC, "")  # notices published meanwhile are lost: read again

    # -- upkeep --------------------------------------------------------------------------------

    def round_trips(self) -> int:
        return self._trips

    def check(self) -> str | None:
        try:
            self._call(self._redis.ping)
        except HubError as error:
            return str(error)
        return None

    def close(self) -> None:
        self._closed = True
        try:
            self._pubsub.close()
            self._redis.close()
        except redis.RedisError:
            pass

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        with self._trips_lock:
            self._trips += 1
        try:
            return function(*args, **kwargs)
        except redis.RedisError as error:
            raise HubError(f"the Redis hub failed: {error}") from None


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
