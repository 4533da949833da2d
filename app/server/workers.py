"""Several uvicorn worker processes, each listening on its own ``SO_REUSEPORT`` socket.

uvicorn's own ``--workers`` shares one listening socket between the workers, and the kernel
hands each new connection to whichever worker happens to accept first. Long-lived keep-alive
connections opened in a burst then stay lopsided: in load runs one worker served 28 CPU-seconds
of turns while the other served 10, and throughput was bounded by the busier one. With a socket
per worker bound with ``SO_REUSEPORT``, the kernel spreads connections over the workers by a
hash of the client address, so each gets its share. A socket only joins the group once its
worker listens, which uvicorn does after the app's startup: no connection waits on a worker
that is still loading. A worker that dies is replaced.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

log = logging.getLogger("switchboard.server")

RESTART_PAUSE_S = 1.0
"""Wait this long before replacing a dead worker (a worker failing at startup loops slowly)."""


def reuse_port_available() -> bool:
    """Whether this platform balances connections over ``SO_REUSEPORT`` sockets (Linux)."""
    return sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")


def bind_reuse_port(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEPORT``, not yet listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def run_worker(config: Any) -> None:
    """One worker process: bind its own socket and serve until told to stop."""
    config.configure_logging()
    sock = bind_reuse_port(config.host, config.port)
    uvicorn.Server(config).run(sockets=[sock])


class Supervisor:
    """Starts ``count`` workers, replaces any that die, stops them all on SIGINT/SIGTERM."""

    def __init__(self, config: Any, count: int) -> None:
        self.config = config
        self.count = count
        self.stopping = threading.Event()
        self.processes: list[BaseProcess] = []
        self._context = multiprocessing.get_context("spawn")

    def run(self) -> None:
        """Serve until a stop signal arrives."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.set())
        self.processes = [self._start() for _ in range(self.count)]
        try:
            while not self.stopping.wait(0.5):
                self._replace_dead()
        finally:
            self._stop_all()

    def _start(self) -> BaseProcess:
        process = self._context.Process(target=run_worker, args=(self.config,), daemon=False)
        process.start()
        return process

    def _replace_dead(self) -> None:
        for index, process in enumerate(self.processes):
            if process.is_alive() or self.stopping.is_set():
                continue
            pid, code = process.pid, process.exitcode
            log.warning("Worker %s exited with code %s; starting a replacement", pid, code)
            if self.stopping.wait(RESTART_PAUSE_S):
                return
            self.processes[index] = self._start()

    def _stop_all(self) -> None:
        """Ask every worker to finish its requests, then make sure they are gone."""
        for process in self.processes:
            if process.is_alive() and process.pid is not None:
                process.terminate()  # SIGTERM: uvicorn's graceful shutdown
        grace = float(getattr(self.config, "timeout_graceful_shutdown", None) or 10) + 5
        for process in self.processes:
            process.join(timeout=grace)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
