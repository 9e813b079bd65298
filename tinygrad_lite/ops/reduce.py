"""reduce primitives (being written)."""
