"""The platform every service stands on: config, database, outbox, reliable events, metrics, AGI."""
