"""The embedded single-machine cluster: scheduler, executor and SQLite store."""
