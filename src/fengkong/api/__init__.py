"""REST API under /api/v1: thin routes that open a unit of work and call services."""
