"""Errors of the screen package.

::

    ScreenError                      any failure of screen sharing
    ├── CaptureError                 the screen (or the chosen monitor) cannot be grabbed
    └── NotSupportedError            a feature this platform cannot do (window lists on Wayland)

A malformed binary frame header raises plain :class:`ValueError` (``frames.RegionFrame.parse``),
like every other parser of wire bytes in the project.
"""

from __future__ import annotations


class ScreenError(Exception):
    """Base class of the screen package's errors."""


class CaptureError(ScreenError):
    """The screen cannot be grabbed: no display, no such monitor, a lost X connection."""


class NotSupportedError(ScreenError):
    """This platform cannot do what was asked; the message names the platform."""
