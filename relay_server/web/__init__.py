"""The web layer: the Bottle app, JSON bodies, the websocket endpoint, the gevent server."""
