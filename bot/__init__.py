"""Steunpunt: a Discord knowledge bot for the Dutch cultural and digital-heritage sector."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("steunpunt")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
