"""Starlette routes for the declared `Endpoint`s, cheaper on the hot path than plain `Route`s.

Starlette's router asks every route in turn whether it matches (a regular expression each, some
fifty before the order routes), and wraps each endpoint in a request/response adapter with its
own exception handling. The gateway's pipeline catches everything itself, so:

* `EndpointDispatch`, placed just before the endpoint routes, finds the first of them that fully
  matches a request by its path (a dict for fixed paths, the routes with as many path segments
  for parameterised ones) and hands the request to it. When none fully matches it says "no", and
  Starlette goes on through the routes as before, so 404, 405 with `Allow`, slash redirects and
  which route wins are exactly Starlette's.
* An `EndpointRoute` says "no" to a path it cannot match with a string comparison, calls the
  pipeline directly and sends its response (a method it does not serve goes to `Route.handle`,
  which answers 405).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound, Route
from starlette.types import Receive, Scope, Send

Pipeline = Callable[[Request], Coroutine[Any, Any, Response]]

_NO_MATCH: tuple[Match, Scope] = (Match.NONE, {})


class EndpointRoute(Route):
    def __init__(self, path: str, pipeline: Pipeline, *, methods: list[str], name: str) -> None:
        super().__init__(path, pipeline, methods=methods, name=name)
        self.pipeline = pipeline
        cut = path.find("{")
        self._static = cut < 0
        self._literal = path if cut < 0 else path[:cut]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not scope.get("root_path"):
            path: str = scope["path"]
            if self._static:
                if path != self._literal:
                    return _NO_MATCH
            elif not path.startswith(self._literal):
                return _NO_MATCH
        return super().matches(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            await super().handle(scope, receive, send)
            return
        response = await self.pipeline(Request(scope, receive, send))
        await response(scope, receive, send)


class EndpointDispatch(BaseRoute):
    """Finds the endpoint route for a request without asking every route (see module doc)."""

    def __init__(self, routes: list[EndpointRoute]) -> None:
        self._fixed: dict[str, list[EndpointRoute]] = {}
        self._by_segments: dict[int, list[EndpointRoute]] = {}
        self._order = {id(route): at for at, route in enumerate(routes)}
        for route in routes:
            if "{" not in route.path:
                self._fixed.setdefault(route.path, []).append(route)
            elif ":path}" in route.path:  # a parameter that spans segments: no shortcut
                self._fixed.clear()
                self._by_segments.clear()
                return
            else:
                self._by_segments.setdefault(route.path.count("/"), []).append(route)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope.get("root_path"):
            return _NO_MATCH
        path: str = scope["path"]
        fixed = self._fixed.get(path, ())
        variable = self._by_segments.get(path.count("/"), ())
        candidates = fixed or variable
        if fixed and variable:
            candidates = sorted((*fixed, *variable), key=lambda r: self._order[id(r)])
        for route in candidates:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                return Match.FULL, {**child_scope, "route": route}
        return _NO_MATCH

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["route"].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)
