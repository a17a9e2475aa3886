"""Per-account PNG charts rendered from the analyst views."""
