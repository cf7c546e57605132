"""Fixtures that reach real things: a RabbitMQ vhost per test, SQLite and PostgreSQL databases."""

import os

# eventlet's green DNS lacks keyword arguments pika passes; the C resolver is fine for test hosts.
os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # nameko needs it before anything else is imported

import uuid  # noqa: E402

from kombu import mixins  # noqa: E402

_consume = mixins.ConsumerMixin.consume


def _consume_with_quick_stop(self, limit=None, timeout=None, safety_interval=1, **kwargs):
    """Tests only: nameko's consumers look for a stop every 0.1 s instead of kombu's 1 s, so a
    container stops in a fraction of a second (hundreds of containers start and stop here)."""
    return _consume(self, limit, timeout, 0.1, **kwargs)


mixins.ConsumerMixin.consume = _consume_with_quick_stop
from urllib.parse import quote, urlsplit  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402

AMQP_URI = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
RABBIT_API = os.environ.get("RABBIT_MANAGEMENT_URL", "http://guest:guest@127.0.0.1:15672/api")
PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")


def _rabbit(method: str, path: str, **kwargs) -> requests.Response:
    parts = urlsplit(RABBIT_API)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}"
    response = requests.request(
        method, f"{base}{path}", auth=(parts.username, parts.password), timeout=10, **kwargs
    )
    response.raise_for_status()
    return response


@pytest.fixture
def amqp_uri():
    """A fresh RabbitMQ vhost for one test, deleted afterwards."""
    vhost = f"test-{uuid.uuid4().hex[:10]}"
    user = urlsplit(AMQP_URI).username or "guest"
    _rabbit("PUT", f"/vhosts/{vhost}")
    _rabbit(
        "PUT",
        f"/permissions/{vhost}/{user}",
        json={"configure": ".*", "write": ".*", "read": ".*"},
    )
    base = AMQP_URI.rsplit("/", 1)[0]
    yield f"{base}/{quote(vhost, safe='')}"
    _rabbit("DELETE", f"/vhosts/{vhost}")


def rabbit_queue(amqp_uri: str, queue: str) -> dict:
    """The management API's view of a queue in the vhost of ``amqp_uri``."""
    vhost = amqp_uri.rsplit("/", 1)[1]
    return _rabbit("GET", f"/queues/{vhost}/{quote(queue, safe='')}").json()


def _postgres_database():
    from sqlalchemy import create_engine, text

    name = f"csc_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    return admin, name, url


def _drop_postgres(admin, name: str) -> None:
    from sqlalchemy import text

    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request):
    return request.param


@pytest.fixture
def db_urls(db_backend, tmp_path):
    """One empty database per service, on the backend under test."""
    if db_backend == "sqlite":
        yield {svc: f"sqlite:///{tmp_path}/{svc}.db" for svc in ("calls", "staffing")}
        return
    created = {svc: _postgres_database() for svc in ("calls", "staffing")}
    yield {svc: url for svc, (_, _, url) in created.items()}
    for admin, name, _ in created.values():
        _drop_postgres(admin, name)


@pytest.fixture
def inbox_db_url(db_urls, db_backend, tmp_path):
    """The inbox service's database (issue 11), made only for the tests that run the inbox (a
    third PostgreSQL database for every test would cost the suite), added to ``db_urls``."""
    if db_backend == "sqlite":
        db_urls["inbox"] = f"sqlite:///{tmp_path}/inbox.db"
        yield db_urls["inbox"]
        return
    admin, name, url = _postgres_database()
    db_urls["inbox"] = url
    yield url
    _drop_postgres(admin, name)


@pytest.fixture
def assets_db_url(db_urls, db_backend, tmp_path):
    """The assets service's database (issue 13), made only for the tests that run it, added to
    ``db_urls`` (as the inbox's)."""
    if db_backend == "sqlite":
        db_urls["assets"] = f"sqlite:///{tmp_path}/assets.db"
        yield db_urls["assets"]
        return
    admin, name, url = _postgres_database()
    db_urls["assets"] = url
    yield url
    _drop_postgres(admin, name)


@pytest.fixture
def holiday_arrangements(tmp_path, monkeypatch):
    """The path of the operator's holiday arrangement file (CSC_HOLIDAY_ARRANGEMENTS), set for
    the test and written by it; the calendar goes back to the packages' afterwards."""
    from svckit import workdays

    path = tmp_path / "arrangements.yaml"
    monkeypatch.setenv(workdays.ARRANGEMENTS_ENV, str(path))
    yield path
    monkeypatch.delenv(workdays.ARRANGEMENTS_ENV)
    workdays.refresh()
