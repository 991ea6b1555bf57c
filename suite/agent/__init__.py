"""The agent desktop app: pywebview windows over an embedded Bottle server on 127.0.0.1.

``relay_client`` and ``settings`` hold no GUI code; ``local_api`` is the Bottle app the windows
talk to; ``shell`` owns the pywebview windows; ``__main__`` wires them together.
"""
