"""Run the simulator: ``SimulatorServer`` (uvicorn in a thread, for tests) and ``serve`` (blocking)."""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time

import uvicorn

from ig_pipeline.simulator import SimConfig, create_app


class _QuietReset(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietReset())


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise OSError(errno.EADDRINUSE, f"port {port} on {host} is already in use") from exc
        raise OSError(exc.errno, f"cannot bind {host}:{port}: {exc.strerror}") from exc
    sock.listen(2048)
    return sock


def _uvicorn_config(app, host, port, log_level="warning") -> uvicorn.Config:
    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=False,
                          timeout_graceful_shutdown=1, lifespan="off", timeout_keep_alive=30, backlog=2048)


class SimulatorServer:
    """``with SimulatorServer(SimConfig(...)) as sim: sim.url``"""

    def __init__(self, config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0):
        self.config = config or SimConfig()
        self.app = create_app(self.config)
        self.host = host
        self._sock = _bind(host, port)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = uvicorn.Server(_uvicorn_config(self.app, host, self.port))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread: threading.Thread | None = None

    def start(self) -> SimulatorServer:
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]},
                                        name="ig-simulator", daemon=True)
        self._thread.start()
        deadline = time.time() + 15
        while not self._server.started:
            if time.time() > deadline or not self._thread.is_alive():
                raise RuntimeError("simulator did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            self._sock.close()
        except OSError:
            pass

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(host: str = "127.0.0.1", port: int = 8765, config: SimConfig | None = None) -> None:
    """Blocking; raises OSError naming the port when it is taken."""
    config = config or SimConfig()
    sock = _bind(host, port)
    app = create_app(config)
    server = uvicorn.Server(_uvicorn_config(app, host, port, log_level="info"))
    server.run(sockets=[sock])
