"""Several server processes on one home: one of them at a time runs the background work
(the outbox relay and the settling), and another takes over when it ends."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from shequn.services.community import background_turn
from shequn.settings import Settings
from tests.community.server import Server

# A process that takes the turn, says so, and keeps it until it is killed.
HOLDER = """
import sys, time
from pathlib import Path
from shequn.services.community import background_turn
from shequn.settings import Settings
with background_turn(Settings(home=Path(sys.argv[1]))) as is_mine:
    print("holding" if is_mine() else "standing by", flush=True)
    time.sleep(600)
"""


def test_one_process_at_a_time_holds_the_background_turn(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    with background_turn(settings) as first, background_turn(settings) as second:
        assert first() is True
        assert second() is False
        assert first() is True  # the holder keeps its turn while it lives
    with background_turn(settings) as successor:
        assert successor() is True


def test_another_process_takes_the_turn_when_its_holder_dies(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(settings.home)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "holding"
        with background_turn(settings) as is_mine:
            assert is_mine() is False
            holder.kill()
            holder.wait(timeout=30)
            deadline = time.monotonic() + 10
            while not is_mine() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert is_mine() is True
    finally:
        if holder.poll() is None:
            holder.kill()


def _listening_sockets(port: int) -> set[str]:
    """The inodes of the sockets listening on ``port`` (IPv4, /proc/net/tcp)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, inode = fields[1], fields[3], fields[9]
        if state == "0A" and int(local.split(":")[1], 16) == port:
            found.add(inode)
    return found


@pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT balancing is Linux's")
def test_each_server_process_listens_on_a_socket_of_its_own(tmp_path: Path) -> None:
    """Two workers, two listening sockets in one SO_REUSEPORT group: the kernel spreads
    connections across them (one shared socket gave one worker most of them)."""
    settings = Settings(home=tmp_path / "home", secret_key="test-secret")
    server = Server(settings, tmp_path / "server.log", workers=2).start()
    try:
        deadline = time.monotonic() + 120
        while len(_listening_sockets(server.port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)  # the second worker listens once its application started
        assert len(_listening_sockets(server.port)) == 2
        with httpx.Client(base_url=server.base, timeout=30) as client:
            assert all(client.get("/openapi.json").status_code == 200 for _ in range(5))
    finally:
        server.stop()
    assert _listening_sockets(server.port) == set()  # both gone with the server


# What a server process's factory leaves behind: the garbage collector's frozen count and
# whether the dictionaries of Chinese text were read before the first request.
FACTORY = """
import gc
from shequn.community import text
from shequn.server.app import app_from_environment
before = gc.get_freeze_count()
app_from_environment()
print(before, gc.get_freeze_count(), sorted(text._made))
"""


def test_a_server_process_reads_its_dictionaries_and_freezes_start_up(tmp_path: Path) -> None:
    env = {**os.environ, "SHEQUN_HOME": str(tmp_path / "home"),
           "SHEQUN_SECRET_KEY": "test"}
    made = subprocess.run([sys.executable, "-c", FACTORY], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    before, after, loaded = made.stdout.split(" ", 2)
    assert int(before) == 0
    # the modules, classes and statements made by start-up: far more than a request makes
    assert int(after) > 50_000
    assert loaded.strip() == "['jieba', 's2t', 't2s']"
