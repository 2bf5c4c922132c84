"""The real-cluster backend: libslurm in-process, acting as each request's user."""
