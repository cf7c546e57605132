"""Each service's Alembic migrations build exactly the schema its models declare."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.calls.models import Base as CallsBase
from services.inbox.models import Base as InboxBase
from services.staffing.models import Base as StaffingBase
from svckit.migrations import head
from tests.integration.harness import ROOT

METADATA = {"calls": CallsBase.metadata, "staffing": StaffingBase.metadata,
            "inbox": InboxBase.metadata}


@pytest.mark.parametrize("service", ["calls", "staffing"])
def test_migrations_match_the_models(stores, service):
    with stores[service].engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == head(ROOT / "services" / service)
        assert compare_metadata(context, METADATA[service]) == []


def test_the_inbox_migrations_match_its_models(inbox_store):
    """The inbox (issue 11) has its own database, made only where a test asks for it."""
    with inbox_store.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == head(ROOT / "services" / "inbox")
        assert compare_metadata(context, InboxBase.metadata) == []
