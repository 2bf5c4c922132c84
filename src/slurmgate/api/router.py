"""Starlette's router, remembering which route answers each method and path.

Starlette tries every route in turn, a regular expression each: with both spellings of every
slurmrestd path (with and without the trailing slash) a read of partitions tried 26 before its
own, a tenth of the CPU time of a read served from the mirror. Clients ask for the same few
paths again and again: once a route fully matched a method and path, it answers them again,
with the path parameters that match found (a path's parameters are those of its text alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import Lifespan, Receive, Scope, Send

#: Method and paths remembered; past this many (job ids, node names) the memory starts over.
KNOWN_PATHS = 4096
#: Longer paths are routed without being remembered: the memory stays small (about a MiB)
#: whatever paths a client makes up.
LONGEST_KNOWN_PATH = 200


class IndexedRouter(Router):
    """A Router that answers a method and path with the route that last fully matched them.

    Matching depends on the method and path alone, so the remembered route still matches,
    with the same parameters: a plain Route's are remembered with it, other routes (mounts)
    are asked again. Paths no route fully matches (404, 405, redirects) are never
    remembered: a scan cannot fill the memory.
    """

    def __init__(self, routes: Sequence[BaseRoute], *, lifespan: Lifespan[Any]) -> None:
        super().__init__(routes, lifespan=lifespan)
        #: (method, root path, path) -> the route, and what a plain Route's match adds to the
        #: scope (its endpoint and path parameters).
        self._known: dict[tuple[str, str, str], tuple[BaseRoute, dict[str, Any] | None]] = {}

    @property
    def remembered(self) -> int:
        """How many methods and paths have their route remembered."""
        return len(self._known)

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().app(scope, receive, send)
            return
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        known = self._known.get(key)
        route: BaseRoute | None = None
        child_scope: Scope = {}
        if known is not None:
            route, params = known
            if params is not None and "path_params" not in scope:
                child_scope = _own_params(params)
            else:
                match, child_scope = route.matches(scope)
                if match is not Match.FULL:  # cannot happen: matching reads the method and path
                    del self._known[key]
                    route = None
        if route is None:
            route, child_scope = self._full_match(scope)
            if route is None:  # Starlette's own handling: 405, redirect or 404
                await super().app(scope, receive, send)
                return
            if len(key[2]) + len(key[1]) <= LONGEST_KNOWN_PATH:
                if len(self._known) >= KNOWN_PATHS:
                    self._known.clear()
                remembered = None
                if type(route) is Route and "path_params" not in scope:
                    remembered = _own_params(child_scope)
                self._known[key] = (route, remembered)
        scope.setdefault("router", self)
        scope["route"] = route
        scope.update(child_scope)
        await route.handle(scope, receive, send)

    def _full_match(self, scope: Scope) -> tuple[BaseRoute | None, Scope]:
        """The first route that takes the method and path, and what it adds to the scope."""
        for route in self.routes:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return route, child_scope
        return None, {}


def _own_params(child_scope: Scope) -> dict[str, Any]:
    """``child_scope`` with a path-parameter dict of its own: a handler may change what it
    was given, and the remembered match must not see it."""
    return {**child_scope, "path_params": dict(child_scope["path_params"])}
