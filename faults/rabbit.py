"""Private RabbitMQ nodes on loopback (never the machine's broker on 5672): their own ports,
Erlang port mapper, cookie, data and logs in a temporary folder; joined into a cluster on
request. The server runs as the ``rabbitmq`` user, as Debian's package expects."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from faults.ports import answers, free_ports

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"
USER = "rabbitmq"


@dataclass
class Node:
    name: str  # e.g. csc-faults-1@localhost
    folder: Path
    amqp_port: int
    dist_port: int
    epmd_port: int
    cookie: str
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def uri(self) -> str:
        return f"pyamqp://guest:guest@127.0.0.1:{self.amqp_port}/"

    def env(self) -> dict[str, str]:
        home = self.folder / "home"
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "ERL_EPMD_PORT": str(self.epmd_port),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "RABBITMQ_CONF_ENV_FILE": str(self.folder / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONFIG_FILE": str(self.folder / "rabbitmq"),
            "RABBITMQ_MNESIA_BASE": str(self.folder / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.folder / "log"),
            "RABBITMQ_FEATURE_FLAGS_FILE": str(self.folder / "feature_flags"),
            "RABBITMQ_QUORUM_DIR": str(self.folder / "quorum"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.folder / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(self.folder / "pid"),
            "RABBITMQ_LOGS": str(self.folder / "log" / "node.log"),
        }

    def prepare(self) -> None:
        for sub in ("home", "mnesia", "log", "quorum"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "rabbitmq-env.conf").write_text("")
        (self.folder / "enabled_plugins").write_text("[].\n")
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_port}\n"
            "loopback_users = none\n"
            "vm_memory_high_watermark.relative = 0.2\n"
            "disk_free_limit.absolute = 50MB\n"
        )
        cookie = self.folder / "home" / ".erlang.cookie"
        cookie.write_text(self.cookie)
        cookie.chmod(0o400)
        shutil.chown(self.folder.parent, USER, USER)
        for path in [self.folder, *self.folder.rglob("*")]:
            shutil.chown(path, USER, USER)

    def start(self) -> None:
        log = open(self.folder / "log" / "server.out", "ab")  # noqa: SIM115
        # as many open files as allowed, as a packaged node has (systemd's LimitNOFILE): with
        # the session's 1024 a cluster node ran out (quorum queue logs, streams, connections)
        self.process = subprocess.Popen(
            ["runuser", "-u", USER, "--", "sh", "-c", f'ulimit -n "$(ulimit -Hn)"; exec {SERVER}'],
            env=self.env(), cwd=self.folder, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait_up(self, timeout: float = 60.0) -> None:
        """Until the node answers AMQP (its application started, not only its VM)."""
        deadline = time.monotonic() + timeout
        while not answers(self.amqp_port):
            if time.monotonic() > deadline or (self.process and self.process.poll() is not None):
                raise RuntimeError(f"{self.name} did not start; see {self.folder}/log")
            time.sleep(0.1)

    def stop(self) -> None:
        """Stop the node (its Erlang VM too), gracefully."""
        if self.process is None:
            return
        with contextlib.suppress(subprocess.CalledProcessError):
            self.ctl("stop", timeout=60)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:  # the whole node: its shell, scripts and VM
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        for pid in self._leftovers():  # a VM that outlived its scripts (a stop half done)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def _leftovers(self) -> list[int]:
        """Processes still running with this node's data folder in their environment."""
        mark = f"RABBITMQ_MNESIA_BASE={self.folder / 'mnesia'}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    if (mark in (entry / "environ").read_bytes().split(b"\0")
                            and (entry / "comm").read_text().strip() != "epmd"):
                        found.append(int(entry.name))  # the port mapper: Broker.stop's
        return found

    def ctl(self, *args: str, timeout: float = 30.0) -> str:
        done = subprocess.run(
            ["runuser", "-u", USER, "--", CTL, "-n", self.name, *args], env=self.env(),
            cwd=self.folder, capture_output=True, text=True, timeout=timeout + 5)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, args, done.stdout, done.stderr)
        return done.stdout

    def queues(self) -> dict[str, int]:
        """Every queue of the default vhost and its ready + unacknowledged messages."""
        out = self.ctl("list_queues", "-q", "--no-table-headers", "name", "messages")
        counts = {}
        for line in out.splitlines():
            name, _, count = line.rpartition("\t")
            if name:
                counts[name] = int(count)
        return counts


class Broker:
    """One private node, or a cluster of ``size`` nodes, the first one the services'."""

    def __init__(self, folder: Path, size: int = 1, tag: str = "csc-faults") -> None:
        ports = free_ports(2 * size + 1)
        cookie = secrets.token_hex(16)
        self.nodes = [
            Node(f"{tag}-{i + 1}@localhost", folder / f"node{i + 1}", ports[2 * i],
                 ports[2 * i + 1], ports[-1], cookie)
            for i in range(size)
        ]

    @property
    def uri(self) -> str:
        """The nodes' addresses, first node first: kombu fails over to the next (``;``)."""
        return ";".join(node.uri for node in self.nodes)

    def start(self) -> None:
        self.launch()
        self.wait_up()

    def launch(self) -> None:
        """Start the nodes' processes (they boot meanwhile: see :meth:`wait_up`)."""
        for node in self.nodes:
            node.prepare()
            node.start()

    def wait_up(self) -> None:
        """Until every node answers, joined into one cluster."""
        for node in self.nodes:
            node.wait_up()
        for node in self.nodes[1:]:
            node.ctl("stop_app")
            node.ctl("join_cluster", self.nodes[0].name)
            node.ctl("start_app")
        for node in self.nodes[1:]:
            node.wait_up()

    def restart(self, node: Node | None = None) -> None:
        node = node or self.nodes[0]
        node.stop()
        node.start()
        node.wait_up()

    def stop(self) -> None:
        """Every node and the private port mapper (again: nothing is left running)."""
        for node in reversed(self.nodes):
            node.stop()
        # the private Erlang port mapper the first node started
        subprocess.run(["runuser", "-u", USER, "--", "epmd", "-port",
                        str(self.nodes[0].epmd_port), "-kill"], capture_output=True, check=False)
