"""The router remembers which route answered a method and path, and answers as Starlette's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from slurmgate.api import router as router_module
from slurmgate.api.router import IndexedRouter


async def show_job(request: Request) -> Response:
    return PlainTextResponse(f"job {request.path_params['job_id']}")


async def show_then_spoil(request: Request) -> Response:
    shown = request.path_params["job_id"]
    request.path_params["job_id"] = -1  # what a careless handler might do
    return PlainTextResponse(f"job {shown}")


async def read(request: Request) -> Response:
    return PlainTextResponse("read")


async def write(request: Request) -> Response:
    return PlainTextResponse("written")


@contextlib.asynccontextmanager
async def nothing(app: Starlette) -> AsyncIterator[None]:
    yield


@pytest.fixture
def router() -> IndexedRouter:
    return IndexedRouter(
        [
            Route("/job/{job_id:int}", show_job, methods=["GET"]),
            Route("/spoil/{job_id:int}", show_then_spoil, methods=["GET"]),
            # One path, its methods in two routes: each method finds its own.
            Route("/things", read, methods=["GET"]),
            Route("/things", write, methods=["POST"]),
        ],
        lifespan=nothing,
    )


@pytest.fixture
async def client(router: IndexedRouter) -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette()
    app.router = router
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as made:
        yield made


async def test_a_remembered_route_still_reads_each_requests_parameters(
    client: httpx.AsyncClient,
) -> None:
    for job_id in (1, 2, 1, 3):
        answer = await client.get(f"/job/{job_id}")
        assert answer.text == f"job {job_id}"


async def test_a_handler_changing_its_parameters_does_not_change_the_next_requests(
    client: httpx.AsyncClient,
) -> None:
    for _ in range(3):
        assert (await client.get("/spoil/5")).text == "job 5"


async def test_each_method_of_a_path_reaches_its_own_route(client: httpx.AsyncClient) -> None:
    for _ in range(2):
        assert (await client.get("/things")).text == "read"
        assert (await client.post("/things")).text == "written"
    refused = await client.delete("/things")
    assert refused.status_code == 405


async def test_a_method_a_remembered_path_does_not_take_is_refused_as_starlette_does(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.get("/job/7")).status_code == 200
    refused = await client.post("/job/7")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].split(", ")) == {"GET", "HEAD"}


async def test_paths_no_route_answers_are_not_remembered(
    client: httpx.AsyncClient, router: IndexedRouter
) -> None:
    for n in range(20):
        assert (await client.get(f"/scan/{n}")).status_code == 404
    assert (await client.post("/job/1")).status_code == 405
    assert router.remembered == 0
    await client.get("/job/1")
    assert router.remembered == 1


async def test_the_memory_starts_over_when_full(
    client: httpx.AsyncClient, router: IndexedRouter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(router_module, "KNOWN_PATHS", 3)
    for job_id in range(1, 8):
        assert (await client.get(f"/job/{job_id}")).text == f"job {job_id}"
        assert router.remembered <= 3


async def test_long_paths_are_answered_but_not_remembered(
    client: httpx.AsyncClient, router: IndexedRouter
) -> None:
    long_id = "1" * (router_module.LONGEST_KNOWN_PATH + 1)
    assert (await client.get(f"/job/{long_id}")).text == f"job {long_id}"
    assert router.remembered == 0
