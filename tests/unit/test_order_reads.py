"""The gateway's memory of work-order views (gateway/order_reads.py), on a hand-turned clock."""

from gateway.order_reads import OrderViews


class Ticking:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def views(seconds: float = 2.0, entries: int = 100) -> tuple[OrderViews, Ticking]:
    clock = Ticking()
    return OrderViews(seconds, entries, clock), clock


def test_a_view_is_served_again_for_half_its_life_then_refreshed_by_one_reader():
    import eventlet

    cache, clock = views(seconds=2.0)
    cache.keep(7, "WO1", b"old", cache.ticket())
    clock.now += 0.9
    assert cache.get(7, "WO1") == b"old"
    assert cache.get(8, "WO1") is None  # another member: calls decides for her
    clock.now += 0.2  # past half its life: the next reader refreshes it
    assert cache.get(7, "WO1") is None
    asked = []

    def ask() -> bytes:
        asked.append(1)
        eventlet.sleep(0.01)  # calls answering
        return b"new"

    refreshing = eventlet.spawn(cache.load, 7, "WO1", ask)
    eventlet.sleep(0)
    assert cache.load(7, "WO1", ask) == b"old"  # served meanwhile, not kept waiting
    assert cache.get(7, "WO1") == b"old"  # and before a worker is taken (remembered_view)
    assert refreshing.wait() == b"new" and cache.get(7, "WO1") == b"new" and len(asked) == 1


def test_a_view_past_its_life_is_never_served():
    import eventlet

    cache, clock = views(seconds=2.0)
    cache.keep(7, "WO1", b"old", cache.ticket())
    clock.now += 2.1

    def ask() -> bytes:
        eventlet.sleep(0.01)
        return b"new"

    refreshing = eventlet.spawn(cache.load, 7, "WO1", ask)
    eventlet.sleep(0)
    assert cache.get(7, "WO1") is None  # not even while it is being refreshed
    assert cache.load(7, "WO1", ask) == b"new" == refreshing.wait()


def test_an_event_about_the_order_forgets_it_for_every_member():
    cache, _ = views()
    for member in (7, 8):
        cache.keep(member, "WO1", b"{}", cache.ticket())
    cache.keep(7, "WO2", b"[]", cache.ticket())
    cache.forget_order("WO1")
    assert cache.get(7, "WO1") is None and cache.get(8, "WO1") is None
    assert cache.get(7, "WO2") == b"[]"


def test_a_member_whose_record_changed_is_asked_about_again():
    cache, _ = views()
    cache.keep(7, "WO1", b"{}", cache.ticket())
    cache.keep(8, "WO1", b"{}", cache.ticket())
    cache.forget_member(7)
    assert cache.get(7, "WO1") is None
    assert cache.get(8, "WO1") == b"{}"


def test_an_answer_in_flight_while_its_order_was_forgotten_is_not_kept():
    cache, clock = views()
    ticket = cache.ticket()
    clock.now += 0.01
    cache.forget_order("WO1")  # the order changed while calls was answering
    clock.now += 0.01
    cache.keep(7, "WO1", b"old", ticket)
    assert cache.get(7, "WO1") is None
    cache.keep(7, "WO1", b"new", cache.ticket())
    assert cache.get(7, "WO1") == b"new"


def test_the_number_of_views_kept_is_bounded_oldest_first():
    cache, _ = views(entries=3)
    for n in range(5):
        cache.keep(7, f"WO{n}", b"{}", cache.ticket())
    assert [cache.get(7, f"WO{n}") for n in range(5)] == [None, None, b"{}", b"{}", b"{}"]


def test_zero_seconds_turns_the_memory_off():
    cache, _ = views(seconds=0)
    cache.keep(7, "WO1", b"{}", cache.ticket())
    assert cache.get(7, "WO1") is None


def test_readers_missing_together_ask_calls_once():
    import eventlet

    cache, _ = views()
    asked = []

    def ask() -> bytes:
        asked.append(1)
        eventlet.sleep(0.01)  # calls answering
        return b"{}"

    readers = [eventlet.spawn(cache.load, 7, "WO1", ask) for _ in range(5)]
    assert [reader.wait() for reader in readers] == [b"{}"] * 5
    assert len(asked) == 1


def test_a_refusal_is_not_shared_each_reader_asks_for_herself():
    import eventlet

    cache, _ = views()
    asked = []

    def refuse() -> bytes:
        asked.append(1)
        eventlet.sleep(0.01)
        raise PermissionError("not hers")

    readers = [eventlet.spawn(cache.load, 7, "WO1", refuse) for _ in range(3)]
    for reader in readers:
        try:
            reader.wait()
        except PermissionError:
            pass
        else:
            raise AssertionError("a refused read was answered")
    assert len(asked) == 3 and cache.get(7, "WO1") is None


def test_an_action_reaching_other_orders_forgets_every_view_and_every_answer_in_flight():
    cache, clock = views()
    cache.keep(7, "WO1", b"{}", cache.ticket())
    cache.keep(8, "WO2", b"{}", cache.ticket())
    in_flight = cache.ticket()
    clock.now += 0.01
    cache.forget_all()
    cache.keep(9, "WO3", b"{}", in_flight)
    assert [cache.get(7, "WO1"), cache.get(8, "WO2"), cache.get(9, "WO3")] == [None] * 3
