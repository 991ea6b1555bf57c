"""Remote control of the agent's desktop: grant check, coordinate mapping, injection, hotkey."""
