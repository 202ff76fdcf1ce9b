"""pbtlint: a static analyzer for page background tasks in Business Central AL code."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("pbtlint")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
