"""Durable storage of the relay: the :class:`Store` interface and its two implementations.

- :class:`TinyDBStore` (default, ``--store tinydb:<folder>`` or ``--data``): TinyDB in
  memory, a write-ahead journal, atomic checkpoints.
- :class:`~relay_server.store.postgres.PostgresStore` (``--store postgresql://...``),
  imported only when asked for (psycopg must be imported after gevent's monkey-patching).
"""

from relay_server.store.interface import Document, Store, StoreError
from relay_server.store.store import SCHEMA_VERSION, TinyDBStore

__all__ = ["SCHEMA_VERSION", "Document", "Store", "StoreError", "TinyDBStore"]
