"""SQLite's one writer at a time, among green threads (svckit.db.GreenWriteLock)."""

import eventlet
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from svckit.db import make_engine


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, who TEXT)"))
    yield engine
    engine.dispose()


def test_a_writer_that_yields_mid_transaction_makes_the_next_wait_not_the_process(engine):
    """A unit of work that writes, then asks another service (a yield), then commits: a second
    writer waits its turn while the rest of the process runs, and both writes land."""
    ticks, order = [], []

    def slow_writer():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO notes (who) VALUES ('slow')"))
            eventlet.sleep(0.3)  # an RPC while the write lock is held
            order.append("slow")

    def quick_writer():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO notes (who) VALUES ('quick')"))
        order.append("quick")

    def ticker():
        for _ in range(20):
            ticks.append(1)
            eventlet.sleep(0.02)

    slow = eventlet.spawn(slow_writer)
    eventlet.sleep(0.05)
    pool = [eventlet.spawn(quick_writer), eventlet.spawn(ticker)]
    slow.wait()
    for thread in pool:
        thread.wait()
    assert order == ["slow", "quick"]
    assert len(ticks) == 20  # the hub kept running: ticks during the slow writer's sleep
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM notes ORDER BY id")).scalars().all() == [
            "slow", "quick"]


def test_a_failed_or_abandoned_write_lets_the_next_writer_in(engine):
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO notes (id, who) VALUES (1, 'a')"))
        conn.execute(text("INSERT INTO notes (id, who) VALUES (1, 'b')"))  # duplicate key
    connection = engine.connect()
    connection.execute(text("INSERT INTO notes (who) VALUES ('left open')"))
    connection.close()  # given back mid-transaction: rolled back, its turn released

    def write():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO notes (who) VALUES ('next')"))

    with eventlet.Timeout(2):
        eventlet.spawn(write).wait()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT who FROM notes")).scalars().all() == ["next"]
