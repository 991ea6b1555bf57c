"""Where a viewer's pointer event lands on the agent's desktop (pure).

The viewer sends pixels of the shared picture: it has already undone its own fit / 1:1 scaling
and the navigator's scroll (``ui/viewer/remote_input.js``). What is left is the agent's side:
the shared monitor's origin on the virtual desktop (a second monitor starts at x = 1920, say),
clamping to that monitor (a pointer never leaves the shared picture), and, with application
sharing on, the shared windows: a point outside them is ignored, so a customer cannot click
into what the agent does not show.
"""

from __future__ import annotations

from dataclasses import dataclass

from suite.screen.masks import WindowMask


@dataclass(frozen=True, slots=True)
class InputGeometry:
    """The shared picture as placed on the agent's desktop.

    Args:
        left, top: the monitor's origin on the virtual desktop.
        width, height: the shared picture's size (the monitor's).
        mask: the shared windows (picture coordinates), or None for the whole monitor.
    """

    left: int
    top: int
    width: int
    height: int
    mask: WindowMask | None = None

    def to_desktop(self, x: int, y: int) -> tuple[int, int] | None:
        """Desktop coordinates for picture pixel ``(x, y)``; None when it must be ignored.

        Points beyond the picture are clamped to its edge first (a drag that leaves the
        viewer's canvas keeps the pointer on the shared monitor), then checked against the
        shared windows.
        """
        if self.width <= 0 or self.height <= 0:
            return None
        x = min(max(int(x), 0), self.width - 1)
        y = min(max(int(y), 0), self.height - 1)
        if self.mask is not None and not self.mask.contains(x, y):
            return None
        return self.left + x, self.top + y
