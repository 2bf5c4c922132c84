"""Prometheus' text exposition format (version 0.0.4), written by hand: it is a few lines of
``# HELP``, ``# TYPE`` and samples, and needs no library."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Labels = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(value)


class Exposition:
    """Families of samples, in the order they are added."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> None:
        self._lines.append(f"# HELP {name} {help_text}")
        self._lines.append(f"# TYPE {name} {kind}")

    def sample(self, name: str, value: float, labels: Labels = ()) -> None:
        if labels:
            inner = ",".join(f'{key}="{_escape(text)}"' for key, text in labels)
            self._lines.append(f"{name}{{{inner}}} {_number(value)}")
        else:
            self._lines.append(f"{name} {_number(value)}")

    def gauge(self, name: str, help_text: str, value: float) -> None:
        self.family(name, "gauge", help_text)
        self.sample(name, value)

    def labelled(
        self,
        name: str,
        kind: str,
        help_text: str,
        label: str,
        values: Mapping[str, float] | Iterable[tuple[str, float]],
    ) -> None:
        """One family whose samples differ by one label."""
        pairs = values.items() if isinstance(values, Mapping) else values
        self.family(name, kind, help_text)
        for key, value in pairs:
            self.sample(name, value, ((label, key),))

    def text(self) -> bytes:
        return ("\n".join(self._lines) + "\n").encode()
