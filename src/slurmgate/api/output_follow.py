"""``follow=true``: a job's output sent as it grows, until the job ends.

The file is the one opened (and checked) for the request; it is read every
``output.follow_interval`` from where the last read stopped, and each new piece is sent at
once. The job's state comes from the mirror (reading it keeps the jobs table loaded while the
output is followed). The answer ends once the job has ended (its COMPLETING phase over, or back
in the queue: requeued) and its file has been read to its end, as it was after the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from slurmgate.api.streaming import begin_streaming
from slurmgate.domain import Job, JobState, SlurmgateError
from slurmgate.events.hub import EventHub
from slurmgate.mirror import Mirror, Resource

MEDIA_TYPE = b"application/octet-stream"


def job_ended(job: Job) -> bool:
    """Whether the job will write no more: ended and done completing, or requeued."""
    if job.state is JobState.PENDING:
        return bool(job.restart_count)
    return job.state.is_finished and "COMPLETING" not in job.state_flags


class FollowedOutput(Response):
    def __init__(
        self, hub: EventHub, mirror: Mirror, job: Job, fd: int, offset: int, page: int
    ) -> None:
        super().__init__(media_type=MEDIA_TYPE.decode())
        self.hub = hub
        self.mirror = mirror
        self.job_id = job.job_id
        self.state = job.state.value
        self.ended = job_ended(job)
        self.fd = fd
        self.offset = offset
        self.page = page
        self.interval: float = mirror.settings.interval
        self.gone = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        begin_streaming(scope)
        self.interval = scope["app"].state.settings.output.follow_interval
        watcher = asyncio.ensure_future(self._watch(receive))
        try:
            headers = [
                (b"content-type", MEDIA_TYPE),
                (b"cache-control", b"private, no-store"),
                (b"x-content-type-options", b"nosniff"),
                (b"x-slurmgate-offset", str(self.offset).encode()),
                (b"x-slurmgate-job-state", self.state.encode()),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await self._follow(send)
            if not self.gone.is_set():
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()
            os.close(self.fd)
            self.hub.release()

    async def _follow(self, send: Send) -> None:
        while not self.gone.is_set():
            # The state before the read: once ended, this read reaches the last byte written.
            ended = self.ended
            piece = await asyncio.to_thread(os.pread, self.fd, self.page, self.offset)
            if piece:
                self.offset += len(piece)
                await send({"type": "http.response.body", "body": piece, "more_body": True})
                continue
            if ended:
                return
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self.gone.wait()
            await self._refresh()

    async def _refresh(self) -> None:
        try:
            table = await self.mirror.read(Resource.JOBS)
        except SlurmgateError:
            return  # the state known stands until the cluster answers again
        job = self.mirror.job_index(table).get(self.job_id)
        # Gone from the mirror's table: ended long enough ago to have been purged.
        self.ended = job is None or job_ended(job)

    async def _watch(self, receive: Receive) -> None:
        with contextlib.suppress(Exception):
            while (await receive())["type"] != "http.disconnect":
                pass
        self.gone.set()
