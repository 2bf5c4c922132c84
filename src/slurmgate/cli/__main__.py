"""``python -m slurmgate.cli``: the same as the ``slurmgate`` command."""

from slurmgate.cli.main import main

raise SystemExit(main())
