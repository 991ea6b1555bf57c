"""The screen channel: the router, the fan-out to viewers, control grants and the drawing board."""
