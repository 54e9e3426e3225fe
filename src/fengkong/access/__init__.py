"""Object-level access: which customers, and which of their records, an actor may see."""
