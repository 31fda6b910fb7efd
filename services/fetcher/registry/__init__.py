"""The feeds collection and its schedule: which feeds exist, when each is due, which runs are in flight."""
