"""The parts of ``scripts/bench_stream.py``: content, viewer page, proxy, baseline, costs."""
