"""Run ``switchboard serve`` in a child process (load benchmark, integration and browser tests)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from conversation.paths import repo_root
from data_access.admin import drop_database, recreate_database
from tools.store import close_store


@contextmanager
def scratch_database(server_url: str, prefix: str = "switchboard_scratch") -> Iterator[str]:
    """A fresh database on the Postgres server of ``server_url``, dropped on exit."""
    base = server_url.rpartition("/")[0]
    url = f"{base}/{prefix}_{uuid.uuid4().hex[:8]}"
    recreate_database(url)
    try:
        yield url
    finally:
        close_store(url)
        drop_database(url)


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    """A running server: its URL, the uvicorn parent process and its log file."""

    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def worker_pids(self) -> list[int]:
        """PIDs of the uvicorn worker processes (children of the parent; empty for one worker)."""
        pid = self.process.pid
        path = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            children = [int(p) for p in path.read_text().split()]
        except OSError:
            return []
        return [child for child in children if _is_worker(child)]

    def worker_cpu_seconds(self) -> dict[int, float]:
        """CPU seconds (user + system) used so far by each worker."""
        seconds: dict[int, float] = {}
        ticks = os.sysconf("SC_CLK_TCK")
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
        return seconds

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's output."""
        return self.log_path.read_text(errors="replace")[-chars:]


def _is_worker(pid: int) -> bool:
    """Whether ``pid`` is a uvicorn worker (multiprocessing's resource tracker is not)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return b"resource_tracker" not in command


def wait_ready(server: ServerProcess, timeout_s: float, workers: int = 1) -> None:
    """Wait until ``/readyz`` answers 200 from ``workers`` distinct workers (or raise with the
    server's output). Each probe is a new connection, which the kernel may give any worker."""
    deadline = time.monotonic() + timeout_s
    ready: set[object] = set()
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"switchboard serve exited with code {server.process.returncode}:\n"
                + server.log_tail()
            )
        with contextlib.suppress(httpx.HTTPError, ValueError):
            response = httpx.get(f"{server.url}/readyz", timeout=2.0)
            if response.status_code == 200:
                ready.add(response.json().get("worker"))
                if len(ready) >= workers:
                    return
                continue
        time.sleep(0.3)
    raise TimeoutError(
        f"switchboard serve was not ready at {server.url} within {timeout_s:.0f}s:\n"
        + server.log_tail()
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers (its own process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def serve_subprocess(
    env: Mapping[str, str],
    workers: int = 1,
    port: int | None = None,
    extra_args: tuple[str, ...] = (),
    ready_timeout_s: float = 180.0,
) -> Iterator[ServerProcess]:
    """Run ``switchboard serve`` on loopback with ``env`` added; stopped on exit."""
    port = port or free_port()
    root = repo_root()
    log_dir = Path(tempfile.mkdtemp(prefix="switchboard-serve-"))
    log_path = log_dir / "server.log"
    full_env = {**os.environ, **env}
    full_env["PYTHONPATH"] = str(root) + os.pathsep + full_env.get("PYTHONPATH", "")
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *extra_args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=root,
            env=full_env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = ServerProcess(f"http://127.0.0.1:{port}", process, log_path)
    try:
        wait_ready(server, ready_timeout_s, workers)
        yield server
    finally:
        stop(process)
