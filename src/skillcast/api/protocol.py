"""A header-read timeout for the service's HTTP server (uvicorn's h11 protocol).

uvicorn starts no timer on a new connection until its first answer, so a client that
sends its request headers a byte at a time (or not at all) holds a connection - and a
file descriptor - for as long as it likes; a thousand such clients exhaust the worker.
``HeaderTimeoutProtocol`` closes a connection whose request head is not complete within
``header_timeout`` seconds of its first byte (or of the connection, for the first
request). The seconds come from the lifespan state the guard fills in at start
(``STATE_KEY``), so nothing global holds them.

``use_header_timeout`` makes it the protocol uvicorn's ``http="auto"`` picks; BentoML
builds its uvicorn config after importing the service, which calls it at import.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

STATE_KEY = "skillcast.header_timeout"
DEFAULT_SECONDS = 10.0


class HeaderTimeoutProtocol(H11Protocol):
    _head_timer: asyncio.TimerHandle | None = None

    def _seconds(self) -> float:
        return float(self.app_state.get(STATE_KEY, DEFAULT_SECONDS))

    def _arm(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self._seconds(), self._too_slow)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _waiting_for_head(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _too_slow(self) -> None:
        self._head_timer = None
        if self._waiting_for_head() and not self.transport.is_closing():
            self.transport.close()

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._waiting_for_head():
            self._arm()  # a new request is arriving: its head must be complete in time
        super().data_received(data)
        if not self._waiting_for_head():
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        self._disarm()  # uvicorn's keep-alive timer watches the idle connection from here
        super().on_response_complete()


def use_header_timeout() -> None:
    """Make uvicorn's default ("auto") HTTP protocol the one with a header timeout."""
    from uvicorn import config

    config.HTTP_PROTOCOLS["auto"] = f"{__name__}:HeaderTimeoutProtocol"
