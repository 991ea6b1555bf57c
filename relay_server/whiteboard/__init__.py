"""The relay's side of the shared whiteboard (CH3): the boards (``boards``) and their pixels
(``render``)."""
