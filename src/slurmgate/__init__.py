"""slurmgate: a slurmrestd-compatible REST gateway for Slurm clusters."""

__version__ = "0.1.0"
