"""The real server in its own process (``shequn serve``), for tests that race clients
against it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from shequn.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, settings: Settings, log: Path, workers: int = 1) -> None:
        self.settings = settings
        self.workers = workers
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 300) -> Server:
        # the settings given explicitly reach the server as its SHEQUN_* variables
        chosen = {f"SHEQUN_{name.upper()}": str(getattr(self.settings, name))
                  for name in self.settings.model_fields_set
                  if getattr(self.settings, name) is not None}
        env = {**os.environ, **chosen, "SHEQUN_HOME": str(self.settings.home),
               "SHEQUN_DATABASE_URL": self.settings.community_url,
               "SHEQUN_SECRET_KEY": self.settings.secret_key or "test-secret"}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                # `python -m shequn`: the workers, spawned, then skip importing the
                # command line (shequn/__main__.py), seconds of CPU each
                [sys.executable, "-m", "shequn", "serve", "--port", str(self.port),
                 "--relay-seconds", "0",
                 "--workers", str(self.workers)], env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.base}/openapi.json", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
