"""Screen sharing cores: frame header, tile diff, regions, encoders, lossless refresh, masks.

Everything here except ``capture.py`` (mss) and ``windows_x11.py`` (python-xlib) is pure:
numpy arrays and the current time in, rectangles and bytes out. The presenter in
``suite/agent/presenter/loop.py`` moves them between the screen and the relay.
"""
