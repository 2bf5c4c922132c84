"""Backends: one interface (``base.Backend``), several implementations."""
