"""The views each family of versions may name (``~view``), by name.

v0.0.36-v0.0.38 print what slurmrestd 22.05's own plugins print; v0.0.40 and later what its
data_parser plugins print. A family's tables see only its own views (and the envelope's).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slurmgate.api.versions import (
    views_common,
    views_db,
    views_dp,
    views_dp_answers,
    views_dp_cluster,
    views_dp_stdio,
    views_legacy,
)

Views = dict[str, Callable[..., Any]]

LEGACY: Views = {**views_common.VIEWS, **views_legacy.VIEWS}
DATA_PARSER: Views = {
    **views_common.VIEWS,
    **views_dp.VIEWS,
    **views_dp_answers.VIEWS,
    **views_dp_cluster.VIEWS,
    **views_dp_stdio.VIEWS,
    **views_db.VIEWS,
}
