"""The presenter child process: capture loop, screen channel, control, drawing, status reports."""
