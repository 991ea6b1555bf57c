"""The agent app's GUI process: pywebview windows, the local API, settings, the relay client."""
