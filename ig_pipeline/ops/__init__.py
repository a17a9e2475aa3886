"""Ops: failure and staleness alerts."""
