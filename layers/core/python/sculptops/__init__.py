"""SculptOps API back end: the shared package shipped as the core Lambda layer."""

__version__ = "0.1.0"
