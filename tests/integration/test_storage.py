"""Each service's Alembic migrations build exactly the schema its models declare."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.calls.models import Base as CallsBase
from services.staffing.models import Base as StaffingBase
from svckit.migrations import head
from tests.integration.harness import ROOT

METADATA = {"calls": CallsBase.metadata, "staffing": StaffingBase.metadata}


@pytest.mark.parametrize("service", ["calls", "staffing"])
def test_migrations_match_the_models(stores, service):
    with stores[service].engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert context.get_current_revision() == head(ROOT / "services" / service)
        assert compare_metadata(context, METADATA[service]) == []
