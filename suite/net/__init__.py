"""How the agent app, its presenter and the one-time viewer reach the relay (A7).

``policy`` is the pure part (settings in, a route and a TLS choice out; the CONNECT exchange as
bytes); ``connect`` is the one I/O shell every Python connection to the relay goes through.
"""
