"""The one-time viewer (D1, P1, P10): a small native window around the relay's viewer page.

Pure parts: ``ticket_trailer`` (the ticket appended to the executable), ``received_files``
(where received files go). Shell: ``app`` (start-up, redeem, window), ``self_delete``.
Kept free of heavy imports so that the relay can import ``ticket_trailer`` alone.
"""
