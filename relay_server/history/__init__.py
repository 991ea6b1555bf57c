"""Support and usage history (A10, AD2): the archive of ended sessions, its index, exports."""
