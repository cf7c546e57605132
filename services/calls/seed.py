"""Demo customers for a first run (S1.10: name, work unit, contact)."""

from __future__ import annotations

from sqlalchemy import func, select

from services.calls.models import Customer
from svckit.db import ServiceStore

DEMO_CUSTOMERS = [
    ("13800138000", "张三", "城南五金厂", "13800138000", "城南区 建设路 12 号"),
    ("13900139000", "李四", "", "13900139000", "城北区 人民路 8 号"),
    ("02088886666", "王五", "新华书店城西店", "020-88886666", "城西区 解放路 101 号"),
]


def seed_demo(store: ServiceStore) -> bool:
    """Insert the demo customers unless customers exist already; True when it seeded."""
    with store.transaction() as session:
        if session.scalar(select(func.count(Customer.id))):
            return False
        for number, name, work_unit, contact, address in DEMO_CUSTOMERS:
            session.add(
                Customer(
                    number=number, name=name, work_unit=work_unit, contact=contact,
                    address=address,
                )
            )
    return True
