"""The package version, in one place: setup.cfg reads it (``version = attr: ...``)."""

__version__ = "0.1.0"
