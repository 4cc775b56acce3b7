"""Reusable discord.ui pieces: views and modals wired to the central error handler, pagination."""
