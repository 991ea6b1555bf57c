"""Accounts: agents and admins, bearer tokens, password hashing, profile photos, the users CLI."""
