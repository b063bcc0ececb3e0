"""Graceful drain: what the service worker does between SIGTERM and exiting.

uvicorn, on SIGTERM, stops accepting and closes every idle keep-alive connection at
once; a request whose bytes are still on their way on such a connection is reset, and so
are connections waiting in the listen queue. ``Drain`` puts a window in front of that:

1. for ``seconds`` the worker keeps answering, but ``/readyz`` says 503 (a load balancer
   or Kubernetes takes it out of rotation) and every answer carries ``Connection: close``
   (a client finishes its request and reconnects elsewhere);
2. then it stops accepting new connections and waits ``settle`` seconds, so a request
   already on its way on an accepted connection arrives and is answered;
3. then uvicorn's own shutdown runs: it waits for every request in progress to finish.

The supervisor (BentoML's arbiter) waits for the worker, so ``skillcast serve`` exits
only when the last accepted request has been answered.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable

log = logging.getLogger("skillcast.drain")


class Drain:
    def __init__(self, settle: float = 0.5):
        self.seconds, self.settle = 0.0, settle
        self.draining = False

    def __call__(self) -> bool:
        return self.draining

    def install(self, seconds: float) -> bool:
        """Take over SIGTERM in this (the worker's main) thread, draining for ``seconds``; False
        where that is impossible (in-process test clients run the app in another thread)."""
        self.seconds = seconds
        if threading.current_thread() is not threading.main_thread():
            return False
        previous = signal.getsignal(signal.SIGTERM)
        if not callable(previous):
            return False
        loop = asyncio.get_running_loop()

        def on_term(signum: int, frame) -> None:
            if self.draining:
                return
            self.draining = True
            log.warning("SIGTERM: draining for %.1f s (readyz 503, Connection: close), then stopping", self.seconds)
            loop.call_soon_threadsafe(loop.call_later, self.seconds, self._stop_accepting, previous, signum, loop)

        signal.signal(signal.SIGTERM, on_term)
        return True

    def _stop_accepting(self, previous: Callable, signum: int, loop: asyncio.AbstractEventLoop) -> None:
        server = getattr(previous, "__self__", None)  # uvicorn's Server, whose handle_exit was the handler
        for listener in getattr(server, "servers", []):
            listener.close()
        loop.call_later(self.settle, previous, signum, None)
