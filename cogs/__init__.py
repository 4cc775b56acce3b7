"""Cogs: thin Discord adapters, one per theme. Validate → one service call → render → respond."""
