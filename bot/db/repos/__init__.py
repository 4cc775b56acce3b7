"""Repositories: all SQL lives here, one module per theme, returning frozen dataclasses."""
