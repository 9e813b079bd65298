"""movement primitives (being written)."""
