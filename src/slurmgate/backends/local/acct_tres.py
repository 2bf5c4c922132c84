"""The embedded cluster's TRES: the ones it counts, with Slurm's ids, and their text form.

It allocates CPUs, memory and nodes and bills by CPU (``cpu=2,mem=4000M,node=1,billing=2``),
so its TRES table holds those four, under the ids slurmdbd gives them everywhere.
"""

from __future__ import annotations

from slurmgate.domain import InvalidRequest
from slurmgate.domain.accounting import Tres

#: Slurm's fixed TRES ids (TRES_CPU, TRES_MEM, TRES_NODE, TRES_BILLING).
TRES_IDS = {"cpu": 1, "mem": 2, "node": 4, "billing": 5}
_UNITS = {"": 1, "K": 1 / 1024, "M": 1, "G": 1024, "T": 1024**2, "P": 1024**3}


def tres_table() -> list[Tres]:
    return [Tres(type=name, id=number) for name, number in TRES_IDS.items()]


def parse_tres(text: str) -> tuple[Tres, ...]:
    """``cpu=2,mem=4G,gres/gpu=1`` as TRES amounts (mem in MiB); -1 removes a limit.

    TRES the cluster does not count keep id 0.
    """
    found: list[Tres] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, amount = item.partition("=")
        if not sep or not key:
            raise InvalidRequest(f"Invalid TRES {item!r}: write e.g. cpu=8,mem=16G")
        unit = amount[-1:].upper() if amount[-1:].isalpha() else ""
        digits = amount[:-1] if unit else amount
        try:
            value = int(digits)
        except ValueError:
            raise InvalidRequest(f"Invalid TRES amount {item!r}") from None
        if unit not in _UNITS or value < -1:
            raise InvalidRequest(f"Invalid TRES amount {item!r}")
        kind, _, name = key.partition("/")
        count = value if value < 0 else int(value * _UNITS[unit])
        found.append(Tres(type=kind, name=name, id=TRES_IDS.get(key, 0), count=count))
    return tuple(found)


def tres_text(tres: tuple[Tres, ...] | None) -> str:
    """The text form of TRES amounts, as sacctmgr prints them (mem in MiB)."""
    return ",".join(f"{t.key}={t.count}" for t in tres or ())
