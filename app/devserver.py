"""Start and stop ``langgraph dev`` offline (for the Studio tests and the load baseline)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from conversation.paths import repo_root

OFFLINE_ENV = {
    "LANGGRAPH_CLI_NO_ANALYTICS": "1",
    "LANGGRAPH_NO_VERSION_CHECK": "1",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
}


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _langgraph_binary() -> str:
    """The ``langgraph`` CLI of this interpreter's environment."""
    candidate = Path(sys.executable).parent / "langgraph"
    if not candidate.exists():
        raise RuntimeError(
            "The langgraph CLI is not installed in this environment; it is a dev dependency "
            "(langgraph-cli[inmem]): run `./dev test` or `uv sync` first."
        )
    return str(candidate)


def absolute_config(workdir: Path) -> Path:
    """A copy of ``langgraph.json`` with absolute paths, written to ``workdir``."""
    root = repo_root()
    config = json.loads((root / "langgraph.json").read_text())
    config["dependencies"] = [str(root)]
    config["graphs"] = {
        name: str(root / target.removeprefix("./")) for name, target in config["graphs"].items()
    }
    path = workdir / "langgraph.json"
    path.write_text(json.dumps(config, indent=2))
    return path


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout_s: float = 120.0) -> None:
    """Wait until the server at ``url`` answers ``/ok`` (or raise with its output)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"langgraph dev exited early with code {process.returncode}.")
        try:
            if httpx.get(f"{url}/ok", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"langgraph dev did not become ready at {url} within {timeout_s:.0f}s.")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its children by process group id."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def langgraph_dev(
    port: int | None = None, extra_env: dict[str, str] | None = None, n_jobs: int = 10
) -> Iterator[str]:
    """Run ``langgraph dev`` on loopback; yields its base URL; runtime files go to a temp dir."""
    port = port or free_port()
    workdir = Path(tempfile.mkdtemp(prefix="switchboard-langgraph-dev-"))
    log_path = workdir / "server.log"
    env = {**os.environ, **OFFLINE_ENV, **(extra_env or {})}
    env["PYTHONPATH"] = str(repo_root()) + os.pathsep + env.get("PYTHONPATH", "")
    command = [
        _langgraph_binary(),
        "dev",
        "--config",
        str(absolute_config(workdir)),
        "--port",
        str(port),
        "--host",
        "127.0.0.1",
        "--no-browser",
        "--no-reload",
        "--allow-blocking",
        "--n-jobs-per-worker",
        str(n_jobs),
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_ready(url, process)
        except (RuntimeError, TimeoutError) as error:
            output = log_path.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"{error}\n--- langgraph dev output ---\n{output}") from error
        yield url
    finally:
        stop(process)
