"""Accounting between the API and the backends: answers shared between callers."""
