"""The embedded cluster's fixtures, for the cache's tests that run against it."""

from tests.backends.local.conftest import make_backend

__all__ = ["make_backend"]
