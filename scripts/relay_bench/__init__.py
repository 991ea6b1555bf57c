"""The parts of ``scripts/bench_relay.py``: relay, HTTP setup, participants, modes, table."""
