"""The fault suite (issue 15): the platform under simulated calls and API traffic while its
services are killed, its broker restarted, its database stopped and a broker cluster node lost,
on a private RabbitMQ and a private PostgreSQL it starts itself (``python -m faults``)."""
