"""Mail from the relay (A3, AD4): SMTP settings, the durable outbox, templates and the sender."""
