"""The hub: what relay nodes share live (``--hub local`` or ``--hub redis://...``).

``interface.py`` is the :class:`Hub` protocol; ``local.py`` keeps it in the process (one
node, the default); ``redis_hub.py`` in Redis (several nodes); ``choice.py`` reads ``--hub``.
"""

from relay_server.hub.interface import Delivery, Hub, HubError

__all__ = ["Delivery", "Hub", "HubError"]
