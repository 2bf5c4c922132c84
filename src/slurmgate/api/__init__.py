"""HTTP layer only: routes, request parsing, per-version renderers."""
