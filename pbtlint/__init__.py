"""pbtlint: a static analyzer for page background tasks in Business Central AL code."""

__version__ = "0.1.0"
"""The one place the version is written: pyproject.toml reads it from here (reading it from the installed
metadata cost a twentieth of a cached run's start-up)."""
