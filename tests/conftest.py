"""Fixtures that reach real things: a RabbitMQ vhost per test, SQLite and PostgreSQL databases."""

import os

# eventlet's green DNS lacks keyword arguments pika passes; the C resolver is fine for test hosts.
os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # nameko needs it before anything else is imported

import re  # noqa: E402
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


def _rabbit(method: str, path: str, timeout: float = 10, **kwargs) -> requests.Response:
    parts = urlsplit(RABBIT_API)
    base = f"{parts.scheme}://{parts.hostname}:{parts.port}{parts.path}"
    response = requests.request(
        method, f"{base}{path}", auth=(parts.username, parts.password), timeout=timeout, **kwargs
    )
    response.raise_for_status()
    return response


STALE_VHOST = re.compile(r"test-(\d+)-[0-9a-f]+")
_swept = False


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _sweep_stale_vhosts() -> None:
    """Delete the vhosts of test runs that died before their teardown (killed, timed out): their
    queues, quorum queues among them, stay on the broker, and a few hundred of them slowed its
    vhost changes from milliseconds to minutes. A vhost's name carries its run's process id;
    only those of processes gone are deleted, so shards running at once keep theirs."""
    global _swept
    if _swept:
        return
    _swept = True
    stale = [v["name"] for v in _rabbit("GET", "/vhosts?columns=name").json()
             if (match := STALE_VHOST.fullmatch(v["name"])) and not _running(int(match[1]))]
    if stale:  # in the background: a vhost with quorum queues takes seconds to delete
        eventlet.spawn_n(lambda: [_rabbit("DELETE", f"/vhosts/{name}", timeout=120)
                                  for name in stale])


@pytest.fixture
def amqp_uri():
    """A fresh RabbitMQ vhost for one test, deleted afterwards."""
    _sweep_stale_vhosts()
    vhost = f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_backend(request):
    return request.param


DATABASE_SERVICES = ("calls", "staffing")


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory):
    from tests.databases import DatabaseTemplates

    templates = DatabaseTemplates(tmp_path_factory.mktemp("templates"), PG_ADMIN_URL)
    yield templates
    templates.close()


@pytest.fixture
def db_urls(db_backend, tmp_path, database_templates, request):
    """One database per service on the backend under test, migrated to head, with no rows
    (copied from a template migrated once per run: tests/databases.py): calls and staffing, and
    those a test module names in ``EXTRA_DATABASES`` (e.g. ``("inbox", "visits")``), made only
    where needed (one more PostgreSQL database for every test would cost the suite)."""
    services = (*DATABASE_SERVICES, *getattr(request.module, "EXTRA_DATABASES", ()))
    if db_backend == "sqlite":
        yield {svc: database_templates.sqlite_copy(svc, tmp_path / f"{svc}.db")
               for svc in services}
        return
    created = {svc: database_templates.postgres_copy(svc) for svc in services}
    yield {svc: url for svc, (_, url) in created.items()}
    for name, _ in created.values():
        database_templates.drop_later(name)


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
