"""Files shared by the agent app and the one-time viewer: transfer client, safe names, folders."""
