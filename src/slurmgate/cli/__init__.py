"""The ``slurmgate`` command: ``serve``, ``token`` and ``version``."""
