"""The admin site: its pure rules and its HTTP routes."""
