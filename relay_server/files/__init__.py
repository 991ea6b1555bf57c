"""Files both ways: the pure transfer state machine, the spool files on disk, the HTTP routes."""
