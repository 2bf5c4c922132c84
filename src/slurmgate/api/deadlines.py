"""Request time-outs with one timer for all the requests in flight, not one each.

Every request of a gateway gets the same number of seconds, so deadlines come in the order
requests begin: the earliest is always the oldest entry of an insertion-ordered dict. A single
timer waits for it, cancels the requests that are due and waits for the next; a request that
ends simply leaves the dict. A timer per request (``asyncio.timeout``, anyio's
``move_on_after``) costs several microseconds per request; this costs a dict entry.

Cancellation is ``asyncio.timeout``'s: the request's task is cancelled, and the cancellation
is recognised as the deadline's (and uncancelled) only if no one else cancelled it too.
"""

from __future__ import annotations

import asyncio


class Deadline:
    """One request's deadline; ``expired`` once its task was cancelled for it."""

    __slots__ = ("cancelling", "ended", "expired", "task", "when")

    def __init__(self, task: asyncio.Task[object], when: float) -> None:
        self.task = task
        self.when = when
        self.cancelling = task.cancelling()
        self.expired = False
        self.ended = False


class Deadlines:
    """Cancels the task of a request still running ``seconds`` after it began."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pending: dict[Deadline, None] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timer: asyncio.TimerHandle | None = None

    def begin(self) -> Deadline:
        """The deadline of the request running in the current task."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a request deadline needs a running task")
        loop = task.get_loop()
        if loop is not self._loop:  # a new event loop (tests): the old one's timer is gone
            self._loop, self._timer = loop, None
            self._pending.clear()
        deadline = Deadline(task, loop.time() + self.seconds)
        self._pending[deadline] = None
        if self._timer is None:
            self._timer = loop.call_at(deadline.when, self._expire)
        return deadline

    def end(self, deadline: Deadline) -> bool:
        """Whether the request timed out: its deadline cancelled it, and no one else did.

        Call it once the request is over, however it ended; calls after the first are no-ops.
        """
        if deadline.ended:
            return False
        deadline.ended = True
        self._pending.pop(deadline, None)
        return deadline.expired and deadline.task.uncancel() <= deadline.cancelling

    def _expire(self) -> None:
        assert self._loop is not None  # noqa: S101 - armed by begin(), which sets it
        self._timer = None
        now = self._loop.time()
        while self._pending:
            deadline = next(iter(self._pending))
            if deadline.when > now:
                self._timer = self._loop.call_at(deadline.when, self._expire)
                return
            del self._pending[deadline]
            deadline.expired = True
            deadline.task.cancel()
