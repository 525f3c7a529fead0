"""The bridge from trio to nats-py, which runs on asyncio: one dedicated thread with its own
event loop.

Why a thread and not trio-asyncio: trio-asyncio runs asyncio's loop as a trio task, so
nats-py's own background tasks (the socket reader, pings, reconnects, the flusher) would share
the thread of the cameras' hand-off and the socket server, and its docs warn that calls across
the two worlds cannot always be made to work correctly; it is also one more dependency with
its own release cycle. A thread keeps nats-py on the event loop it is written for, unchanged,
and the boundary small: trio hands it a coroutine and awaits the result
(`asyncio.run_coroutine_threadsafe` there, a trio event set through the trio token here), and
cancelling the trio side cancels the asyncio future.

The traffic is bounded both ways: at most `max_in_flight` calls cross at once (a trio
semaphore, so a caller waits rather than piling up futures), and nothing is ever pushed from
asyncio into trio: inbound messages arrive only as the result of a pull (a `fetch` of a bounded
batch), so a burst at the hub is held by JetStream, not in this process's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

import trio

T = TypeVar("T")
log = logging.getLogger("lfr.cluster")


class BridgeClosed(RuntimeError):
    """The asyncio thread is not running (not started, or stopped)."""


class AsyncioBridge:
    def __init__(self, name: str = "lfr-nats", *, max_in_flight: int = 64) -> None:
        self.name = name
        self._slots = trio.Semaphore(max_in_flight)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.calls = 0

    def start(self) -> None:
        """Start the thread and its loop; returns once the loop runs."""
        if self._thread is not None:
            return
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        def unretrieved(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            # A call cancelled from trio whose coroutine then failed (the link closing under
            # it): nobody waits for that result any more; keep it out of stderr.
            log.debug("%s: %s", self.name, context.get("message"))

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.set_exception_handler(unretrieved)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=main, name=self.name, daemon=True)
        self._thread.start()
        ready.wait()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the loop (its tasks are cancelled) and join the thread. Blocking."""
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._loop is not None

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` (an asyncio coroutine function) on the bridge's loop and
        return its result here; its exception is raised here."""
        loop = self._loop
        if loop is None:
            raise BridgeClosed(f"{self.name}: the asyncio bridge is not running")
        async with self._slots:
            token = trio.lowlevel.current_trio_token()
            done = trio.Event()

            async def job() -> T:
                return await fn(*args, **kwargs)

            future: Future[T] = asyncio.run_coroutine_threadsafe(job(), loop)

            def wake(_f: Future[T]) -> None:
                with contextlib.suppress(trio.RunFinishedError):  # nobody waits any more
                    token.run_sync_soon(done.set)

            future.add_done_callback(wake)
            self.calls += 1
            try:
                await done.wait()
            except trio.Cancelled:
                future.cancel()
                raise
            return future.result()
