"""The one-time viewer: tickets (pure), which builds the relay holds, and the HTTP routes."""
