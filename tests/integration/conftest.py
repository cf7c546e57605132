import eventlet
import pytest

from tests.integration import harness
from tests.integration.client import start_system


@pytest.fixture
def stores(db_urls):
    """Both services' databases, migrated with Alembic, empty."""
    stores = harness.migrate(db_urls)
    yield stores
    for store in stores.values():
        store.dispose()


@pytest.fixture
def inbox_store(stores):
    """The inbox's database (the test module names it in ``EXTRA_DATABASES``)."""
    assert "inbox" in stores, 'add "inbox" to the module\'s EXTRA_DATABASES'
    return stores["inbox"]


@pytest.fixture
def assets_store(stores):
    """The assets service's database (the test module names it in ``EXTRA_DATABASES``)."""
    assert "assets" in stores, 'add "assets" to the module\'s EXTRA_DATABASES'
    return stores["assets"]


@pytest.fixture
def hotline_staff(stores):
    harness.add_staff(
        stores["staffing"],
        [
            ("agent01", "seat_agent", "8001"),
            ("agent02", "seat_agent", "8002"),
            ("leader01", "duty_leader", "8101"),
            ("lead01", "deputy_team_lead", "8201"),
        ],
    )


@pytest.fixture
def run_service(amqp_uri, db_urls):
    """Start a service by name in this process; stopped at the end of the test."""
    started = []

    def run(name: str, at=None, **extra):
        """``at``: the service's clock pinned at that instant from the start (TEST_CLOCK)."""
        if at is not None:
            extra["TEST_CLOCK"] = True
        cfg = harness.config(amqp_uri, db_urls.get(name), **extra)
        container = harness.start(harness.SERVICES[name], cfg, at)
        started.append(container)
        return container

    yield run
    # each container's consumers take up to a second to notice a stop: stop them together
    for stopping in [eventlet.spawn(harness.stop, container) for container in started]:
        stopping.wait()


@pytest.fixture
def system(stores, hotline_staff, run_service, amqp_uri):
    """The hotline's services on a real broker and databases, with a known customer."""
    return start_system(stores, run_service, amqp_uri)
