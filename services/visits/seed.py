"""Demo data for a first run (issue 14): the marketing section as the sales department, one
sales position with its monthly requirement, two salespeople on it, and customers of each kind
(S5.2.2). Staff ids come from staffing's seed (scripts/manage.py passes them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from services.visits.models import Customer, Quota, Salesperson
from svckit.db import ServiceStore

DEPARTMENT = "marketing"
POSITION = "account_manager"
REQUIRED_PER_MONTH = 8
# name, kind, phone, contact person, address
CUSTOMERS = [
    ("城南纺织厂", "existing", "0571-87001234", "王经理", "城南区工业路8号"),
    ("江滨商业综合体", "target", "0571-86005678", "李主任", "滨江区江滨路100号"),
    ("望江新材料公司", "potential", "0571-85009999", "赵总", "上城区望江街道创业园3号"),
    ("城西供电服务公司", "peer", "0571-88880000", "钱经理", "城西区文三路20号"),
]


def seed_demo(store: ServiceStore, staff: dict[str, int], now: datetime) -> bool:
    """Seed unless a quota exists; needs ``mkt_chief``, ``sales01`` and ``sales02``'s ids."""
    head = staff.get("mkt_chief")
    sellers = [staff[u] for u in ("sales01", "sales02") if u in staff]
    if head is None or not sellers:
        return False
    with store.transaction() as session:
        if session.scalar(select(func.count()).select_from(Quota)):
            return False
        session.add(Quota(department=DEPARTMENT, position=POSITION,
                          required_per_month=REQUIRED_PER_MONTH, updated_by=head, updated_at=now))
        for n, staff_id in enumerate(sellers, 1):
            session.add(Salesperson(staff_id=staff_id, department=DEPARTMENT, position=POSITION,
                                    name=f"销售员{n:02d}", active=True, updated_by=head,
                                    updated_at=now))
        for name, kind, phone, person, address in CUSTOMERS:
            session.add(Customer(name=name, kind=kind, phone=phone, contact_person=person,
                                 address=address, department=DEPARTMENT, created_by=head,
                                 created_at=now))
    return True
