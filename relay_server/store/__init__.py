"""Durable storage of the relay: TinyDB in memory, a write-ahead journal, atomic checkpoints."""

from relay_server.store.store import SCHEMA_VERSION, Store, StoreError

__all__ = ["SCHEMA_VERSION", "Store", "StoreError"]
