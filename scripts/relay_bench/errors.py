"""The one error of the relay benchmark: a step that could not start or drive the relay."""

from __future__ import annotations


class BenchError(RuntimeError):
    """The relay could not be started or driven; the message says which step failed."""
