"""Alembic, once for every service: each service keeps its own versions folder and database."""

from __future__ import annotations

from pathlib import Path

from alembic import command, context
from alembic.config import Config as AlembicConfig
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData

from svckit.db import make_engine


def alembic_config(service_dir: Path, url: str) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(service_dir: Path, url: str, revision: str = "head") -> None:
    """Bring the service's database at ``url`` to ``revision``."""
    command.upgrade(alembic_config(service_dir, url), revision)


def head(service_dir: Path) -> str | None:
    """The newest revision of the service's migrations (one head: a branch is a mistake)."""
    return ScriptDirectory.from_config(alembic_config(service_dir, "sqlite://")).get_current_head()


def run_env(target_metadata: MetaData) -> None:
    """The body of a service's ``migrations/env.py``."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
