"""Message contracts shared by every service: event payloads and their catalogue."""
