"""Reservations (A11): meetings booked ahead, invitees, links, calendar files, reminders."""
