"""Nodes, partitions, reservations, licenses, pings, scheduler statistics and shares in v0.0.40
and later: each version's records, written as the one before it changed."""

from __future__ import annotations

from slurmgate.api.versions.notation import Record

RECORDS_40: dict[str, Record] = {}
RECORDS_41: dict[str, Record] = {**RECORDS_40}
RECORDS_42: dict[str, Record] = {**RECORDS_41}
RECORDS_43: dict[str, Record] = {**RECORDS_42}
RECORDS_44: dict[str, Record] = {**RECORDS_43}
RECORDS_45: dict[str, Record] = {**RECORDS_44}
