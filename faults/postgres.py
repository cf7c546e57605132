"""A private PostgreSQL cluster (``initdb`` in a temporary folder, its own port and socket
folder, run as the ``postgres`` user); never the machine's server on 5432."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from faults.ports import answers, free_ports

BIN = Path("/usr/lib/postgresql/15/bin")
USER = "postgres"


class Cluster:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        self.port = free_ports(1)[0]

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def create(self, *databases: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.folder, USER, USER)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", USER, "-E", "UTF8",
                  "--no-sync")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.folder}'\nfsync = on\n"
                       "max_connections = 300\nshared_buffers = 32MB\n")
        self.start()
        for name in databases:
            self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), name)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-w", "start")

    def stop(self) -> None:
        """A fast shutdown: open connections are ended, as when a database server goes away."""
        if answers(self.port):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def wait_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not answers(self.port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"PostgreSQL on {self.port} did not start")
            time.sleep(0.1)

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(["runuser", "-u", USER, "--", str(BIN / program), *args],
                       cwd=self.folder, check=True, capture_output=True)
