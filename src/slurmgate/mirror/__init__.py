"""One shared, current copy of the cluster's state, and the responses rendered from it.

Every read of the API is served from here: a collector loads each resource that clients read
(incrementally, as the service user), reads wait only when the copy is older than the bound or
predates a write made through the gateway, and each rendered response is reused until the
state it was rendered from changes.
"""

from slurmgate.mirror.collector import Mirror, Resource
from slurmgate.mirror.rendered import RenderCache, Rendered
from slurmgate.mirror.tables import Table

__all__ = ["Mirror", "Rendered", "RenderCache", "Resource", "Table"]
