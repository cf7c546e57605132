"""The heap frozen once a service has started (svckit/heap.py), in a process of its own (a
freeze would reach the test runner's own objects)."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import eventlet
    eventlet.monkey_patch()
    import gc
    from nameko.containers import ServiceContainer
    from svckit.heap import FrozenHeap

    class Quiet:
        name = "quiet"
        heap = FrozenHeap()

    for config in ({}, {"GC": {"freeze_after_seconds": 0.05}}):
        container = ServiceContainer(Quiet, config)
        container.start()
        eventlet.sleep(0.3)
        print(gc.get_freeze_count())
        container.stop()
""")


def test_what_start_up_made_is_frozen_out_of_collection_only_when_configured():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split()
    assert out[0] == "0"  # not configured: nothing frozen
    assert int(out[1]) > 10_000  # modules, classes, functions: all of start-up
