"""The tests' databases: each service's schema migrated once per run, then copied per test.

Running every Alembic migration for every test cost about a second on PostgreSQL (two services,
both backends), and dropping its databases as long again. So a run migrates one template per
service and backend (a SQLite file; a PostgreSQL template database), each test gets copies
(a file copy; ``CREATE DATABASE ... TEMPLATE``), and PostgreSQL databases are dropped by a
``psql`` of their own in the background, waited for at the end of the run.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

from svckit.migrations import upgrade

ROOT = Path(__file__).resolve().parent.parent


class DatabaseTemplates:
    """Migrated schemas to copy from, made on first use."""

    def __init__(self, folder: Path, pg_admin_url: str) -> None:
        self.folder = folder
        self.pg_admin_url = pg_admin_url
        self._sqlite: dict[str, Path] = {}
        self._postgres: dict[str, str] = {}
        self._drops: list[subprocess.Popen] = []
        self._admin = None

    # --- SQLite ---------------------------------------------------------------------------

    def sqlite_copy(self, service: str, target: Path) -> str:
        if service not in self._sqlite:
            template = self.folder / f"{service}.db"
            upgrade(ROOT / "services" / service, f"sqlite:///{template}")
            self._sqlite[service] = template
        shutil.copyfile(self._sqlite[service], target)
        return f"sqlite:///{target}"

    # --- PostgreSQL -----------------------------------------------------------------------

    def postgres_copy(self, service: str) -> tuple[str, str]:
        """A new database with the service's migrated schema: (name, url)."""
        if service not in self._postgres:
            template = self._create(f"csc_tmpl_{service}_{uuid.uuid4().hex[:8]}")
            upgrade(ROOT / "services" / service, self._url(template))
            self._postgres[service] = template
        name = self._create(f"csc_test_{uuid.uuid4().hex[:10]}", self._postgres[service])
        return name, self._url(name)

    def drop_later(self, name: str) -> None:
        parts = urlsplit(self.pg_admin_url)
        self._drops.append(subprocess.Popen(
            ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
             "-U", parts.username or "postgres", "-d", parts.path.lstrip("/") or "postgres",
             "-qc", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
            stdout=subprocess.DEVNULL,
        ))
        self._drops = [drop for drop in self._drops if drop.poll() is None]

    def close(self) -> None:
        for name in self._postgres.values():
            self.drop_later(name)
        for drop in self._drops:
            drop.wait(60)
        if self._admin is not None:
            self._admin.dispose()

    def _create(self, name: str, template: str | None = None) -> str:
        if self._admin is None:
            self._admin = create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        copy = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        return name

    def _url(self, name: str) -> str:
        return self.pg_admin_url.rsplit("/", 1)[0] + f"/{name}"
