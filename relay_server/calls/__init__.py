"""Calls (CH9): the call each session may hold, its signalling routes, TURN credentials."""
