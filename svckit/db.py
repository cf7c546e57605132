"""SQLAlchemy 2 storage for a service: engine, a session per worker, one transaction per unit
of work. SQLite file by default, PostgreSQL by URL: ``postgresql+psycopg2://`` (made green with
psycogreen, the fast choice) or ``postgresql+pg8000://`` (pure Python, green by itself)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from time import monotonic

import psycogreen.eventlet
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from svckit.archive import ArchiveSettings
from svckit.outbox import OutboxRelay


def make_engine(url: str, pool_size: int = 20) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys.

    A PostgreSQL pool of ``pool_size`` kept connections (and as many more at peaks): workers
    hold a connection only for a transaction, and opening one costs far more than a query.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        if parsed.get_driver_name() == "psycopg2":
            psycogreen.eventlet.patch_psycopg()  # a blocking C driver must not stall the hub
        engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                               pool_use_lifo=True)
        IdlePing(PING_IDLE_SECONDS).attach(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    # A short busy timeout: under eventlet the wait blocks the whole process. A pool as large as
    # PostgreSQL's: with SQLAlchemy's default (5 + 10 overflow) a burst of readers opens and
    # closes a connection (and runs the pragmas) per request (issue 10, bench/api_reads.py).
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5},
                           pool_size=pool_size, max_overflow=pool_size)
    GreenWriteLock(SQLITE_BUSY_SECONDS).attach(engine)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


# A pooled connection idle this long is pinged before it is used again (see IdlePing): shorter
# than a database restart takes, so a connection that lived through one is always pinged.
PING_IDLE_SECONDS = 1.0


class IdlePing:
    """Ping a pooled connection before use only when it has been idle ``idle_seconds``.

    ``pool_pre_ping`` pinged on every checkout: a round trip per transaction (about nine per
    call in each service, issue 12). Under load a connection is idle for milliseconds and
    never pinged; the pool hands out the most recently used first (LIFO), so the spare ones
    age and are pinged when a peak needs them. A restart takes longer than ``idle_seconds``,
    so every connection that lived through one is pinged and replaced before use. A backend
    killed alone (no restart) within that time fails its next statement: a disconnect, after
    which SQLAlchemy replaces every connection the pool holds; that unit of work meets the
    outage as one caught mid-restart does (DATABASE_DOWN: the event waits, the call spools).
    """

    def __init__(self, idle_seconds: float) -> None:
        self.idle_seconds = idle_seconds

    def attach(self, engine: Engine) -> None:
        dialect = engine.dialect

        def checkin(_dbapi_connection, record) -> None:
            record.info["idle_since"] = monotonic()

        def checkout(dbapi_connection, record, _proxy) -> None:
            since = record.info.get("idle_since")
            if since is None or monotonic() - since < self.idle_seconds:
                return
            try:
                dialect.do_ping(dbapi_connection)
            except dialect.loaded_dbapi.Error as exc:
                raise DisconnectionError(f"a pooled connection failed its ping: {exc}") from exc

        event.listen(engine.pool, "checkin", checkin)
        event.listen(engine.pool, "checkout", checkout)


# The database cannot be reached or written (not a refusal of what was written): an outage to
# wait out (svckit/events.py) or to answer callers through (services/calls/spool.py).
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)

SQLITE_BUSY_SECONDS = 5.0
WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


class GreenWriteLock:
    """One writer at a time among a process's green threads on one SQLite database.

    SQLite lets one connection write at a time and makes the others wait in a busy loop that
    blocks the whole process under eventlet. A green thread that yields (an RPC, a publish)
    while its transaction holds the write lock then freezes every other green thread, itself
    included, until the busy timeout ends in "database is locked". Taking this lock before the
    first write makes the others wait cooperatively; it is let go when the transaction ends.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._lock = Semaphore(1)

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        for name in ("commit", "rollback"):
            event.listen(engine, name, self._transaction_ended)
        event.listen(engine.pool, "checkin", self._checked_in)

    def _before_execute(self, conn, _cursor, statement: str, *_args) -> None:
        if "write_lock" in conn.info or not statement.lstrip().upper().startswith(WRITES):
            return
        if not self._lock.acquire(timeout=self.timeout):
            raise OperationalError(statement, None, Exception(
                f"database is locked: no write turn in {self.timeout:g} s"))
        conn.info["write_lock"] = True

    def _transaction_ended(self, conn) -> None:
        self._release(conn.info)

    def _checked_in(self, _dbapi_connection, record) -> None:
        self._release(record.info)  # a connection given back mid-transaction is rolled back

    def _release(self, info: dict) -> None:
        if info.pop("write_lock", None):
            self._lock.release()


class ServiceStore:
    """A service's database: engine, session factory and the platform tables."""

    def __init__(self, url: str, metadata: MetaData) -> None:
        self.engine = make_engine(url)
        self.metadata = metadata
        self.outbox = metadata.tables["outbox"]
        self.processed = metadata.tables["processed_messages"]
        self.sessions = sessionmaker(
            self.engine,
            expire_on_commit=False,
            info={"outbox_table": self.outbox, "processed_messages_table": self.processed},
        )
        self.after_emit: Callable[[], None] = lambda: None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A unit of work in a fresh session (outside workers: relay, seeding, tests)."""
        with self.sessions() as session, session.begin():
            yield session
        self.committed(session)

    def committed(self, session: Session) -> None:
        """After a commit: wake the outbox relay if the transaction emitted events."""
        if session.info.pop("emitted", False):
            self.after_emit()

    def dispose(self) -> None:
        self.engine.dispose()


class Database(DependencyProvider):
    """Injects the service's :class:`ServiceStore` and runs its outbox relay.

    ``url_key`` names the config entry holding the database URL.
    """

    def __init__(self, metadata: MetaData, url_key: str = "DB_URL", relay: bool = True) -> None:
        self.metadata = metadata
        self.url_key = url_key
        self.run_relay = relay
        self.store: ServiceStore | None = None
        self.relay: OutboxRelay | None = None

    def setup(self) -> None:
        config = self.container.config
        self.store = ServiceStore(config[self.url_key], self.metadata)
        if self.run_relay:
            self.relay = OutboxRelay(
                self.store, config["AMQP_URI"], service=self.container.service_name,
                archive=ArchiveSettings.from_config(config),
            )
            self.store.after_emit = self.relay.wake

    def start(self) -> None:
        if self.relay is not None:
            self.container.spawn_managed_thread(self.relay.run, identifier="outbox_relay")

    def stop(self) -> None:
        if self.relay is not None:
            self.relay.stop()
        if self.store is not None:
            self.store.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx) -> WorkerDatabase:
        return WorkerDatabase(self.store)

    def worker_teardown(self, worker_ctx) -> None:
        database = worker_ctx.service.__dict__.get(self.attr_name)
        if isinstance(database, WorkerDatabase):
            database.close()


class WorkerDatabase:
    """What a worker sees: one session for the worker's life, a transaction per unit of work."""

    def __init__(self, store: ServiceStore) -> None:
        self.store = store
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = self.store.sessions()
        return self._session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit on success, roll back on error; wake the outbox relay if events were emitted."""
        session = self.session
        with session.begin():
            yield session
        self.store.committed(session)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
