"""The customer registry's rules (S1.10, S3.2): fields, declared lengths, the number as key,
and paged searches."""

import pytest

from services.calls import customers
from services.calls.customers import InvalidCustomer


def test_a_new_customer_needs_a_number_and_a_name_within_the_declared_lengths():
    assert customers.new_customer({"number": " +8613800138000 ", "name": " 张三 "}) == {
        "number": "+8613800138000", "name": "张三"}
    for bad, message in (
        ({"name": "张三"}, "number must be"),
        ({"number": "0571-8888", "name": "x"}, "number must be"),
        ({"number": "12", "name": "x"}, "number must be"),
        ({"number": "13800138000"}, "needs name"),
        ({"number": "13800138000", "name": " "}, "needs name"),
        ({"number": "13800138000", "name": "x", "contact": "1" * 129}, "contact is at most 128"),
        ({"number": "13800138000", "name": "x", "address": 7}, "address must be text"),
        ({"number": "13800138000", "name": "x", "vip": True}, "not vip"),
    ):
        with pytest.raises(InvalidCustomer, match=message):
            customers.new_customer(bad)


def test_an_update_changes_fields_but_never_the_number():
    assert customers.changes({"address": "城东区 新华路 5 号"}) == {"address": "城东区 新华路 5 号"}
    for bad, message in (({"number": "139"}, "cannot be changed"), ({}, "at least one"),
                         ({"name": ""}, "name cannot be empty"), ({"id": 1}, "not id")):
        with pytest.raises(InvalidCustomer, match=message):
            customers.changes(bad)


def test_a_search_pages_and_tells_a_number_from_a_name():
    wanted = customers.search("139", "2", "10")
    assert (wanted.by_number, wanted.offset, wanted.per_page) == (True, 10, 10)
    assert not customers.search("赵").by_number and not customers.search("").by_number
    assert customers.search(None).query == ""
    for args in (("x" * 65,), ("", 0), ("", 1, 101), ("", "one"), ("", True)):
        with pytest.raises(InvalidCustomer):
            customers.search(*args)
