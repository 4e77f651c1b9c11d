"""Server processes that each listen on a socket of their own, in one ``SO_REUSEPORT``
group, so that the kernel spreads new connections across them by their addresses.

uvicorn's workers share the one socket their parent bound, and the kernel hands each new
connection to the process that waited last: under 200 members' long-lived connections,
one of two workers did 70 % of the work while the other idled, and every request queued
behind the busy one. uvicorn's supervisor is kept as it is (signals, health checks,
restarts); only the socket each worker listens on is its own. Linux only: elsewhere, or
on an ephemeral port, the shared socket stays."""

from __future__ import annotations

import socket
import sys

from uvicorn import Config, Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import multiprocess


def balances(config: Config) -> bool:
    """Whether the workers of ``config`` can each bind their own socket."""
    return (sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")
            and config.workers > 1 and config.port != 0
            and config.uds is None and config.fd is None)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound into the port's ``SO_REUSEPORT`` group, not yet listening: the
    server listens once its application has started, so no connection is handed to a
    worker still starting."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class _OwnSocketServer(Server):
    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        try:
            own = reuse_port_socket(self.config.host, self.config.port)
        except OSError as error:  # the port is another program's: fail as uvicorn does
            multiprocess.logger.error(error)
            sys.exit(STARTUP_FAILURE)
        await super().startup([own])


class _OwnSocketProcess(multiprocess.Process):
    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = _OwnSocketServer(config=self.config)
        return self._server


def run_workers(config: Config) -> None:
    """uvicorn's supervisor over ``config.workers`` processes, each on its own socket."""
    multiprocess.Process = _OwnSocketProcess  # type: ignore[misc]  # the workers it starts
    multiprocess.Multiprocess(config, sockets=[]).run()
