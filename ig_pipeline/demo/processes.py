"""Child processes of the demo: start, wait until they answer, stop them all (no orphans)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RUN_THREAD = "demo-run"  # the thread a demo run executes in (demo/backfill.py)


class PortInUse(RuntimeError):
    pass


def ensure_port_free(port: int, what: str, flag: str) -> None:
    """Fail early, naming the flag, when something listens on the port. SO_REUSEADDR as the servers
    themselves use it: connections of a demo stopped a moment ago (TIME_WAIT) do not count."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            raise PortInUse(f"port {port} ({what}) is already in use on 127.0.0.1; "
                            f"stop what uses it or pick another port with {flag} PORT") from None


@dataclass
class Supervisor:
    log_dir: Path
    children: list[tuple[str, subprocess.Popen]] = field(default_factory=list)

    def start(self, name: str, argv: list[str], env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child's lifetime
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # own process group: stop() reaches grandchildren
        self.children.append((name, process))
        return process

    def wait_http(self, name: str, url: str, timeout_s: float = 60) -> None:
        deadline = time.monotonic() + timeout_s
        process = dict(self.children)[name]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with code {process.returncode}; see {self.log_dir / name}.log")
            try:
                if httpx.get(url, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{name} did not answer at {url} within {timeout_s:.0f}s; see {self.log_dir / name}.log")

    def stop(self, grace_s: float = 20) -> None:
        """SIGTERM every child's process group at once; whatever still runs after ``grace_s`` in all
        (not per child: a busy daemon and webserver must not add up) gets SIGKILL."""
        for _name, process in reversed(self.children):
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        deadline = time.monotonic() + grace_s
        for _name, process in reversed(self.children):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=5)
        self.children.clear()


def cli_argv(*args: str) -> list[str]:
    """Run another ig-pipeline command with this interpreter (works without the venv on PATH)."""
    return [sys.executable, "-m", "ig_pipeline", *args]


def bin_argv(name: str, *args: str) -> list[str]:
    """A console script installed next to this interpreter (dagster-webserver, dagster-daemon)."""
    return [str(Path(sys.executable).with_name(name)), *args]
