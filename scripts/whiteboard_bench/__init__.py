"""Cases of scripts/bench_whiteboard.py kept apart from its main: the levers, the edits."""
