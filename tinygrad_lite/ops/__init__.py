"""The primitives: one ``Function`` per op, forward and backward side by side."""
