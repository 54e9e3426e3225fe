"""The event-stream consumer: applies the outbox to each customer in order (rescore, then the
monitoring rules), in-process on SQLite and through procrastinate workers on PostgreSQL."""
