"""Support sessions: the Relay core, access codes, the session directory, rooms, chat log, notes."""
