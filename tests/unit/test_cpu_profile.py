"""bench/cpu_profile.py: py-spy's stacks counted by function family and by activity."""

from bench.cpu_profile import activity, family, frames, summarise

HUB = "<module> (nameko);main (nameko/cli/main.py);Hub.run (eventlet/hubs/hub.py)"
WORKER = "ServiceContainer._run_worker (nameko/containers.py)"
PUBLISH = ("OutboxRelay.run (svckit/outbox.py);Publisher.publish (nameko/amqp/publish.py);"
           "Producer.publish (kombu/messaging.py);Transport.write (amqp/transport.py);"
           "GreenSocket.sendall (eventlet/greenio/base.py);"
           "GreenSocket._send_loop (eventlet/greenio/base.py)")
QUERY = (f"{WORKER};CallsService.hotline (services/calls/service.py);"
         "take_call (services/calls/hotline.py);Session.execute (sqlalchemy/orm/session.py);"
         "cursor.execute (psycopg2/extras.py);wait (psycogreen/eventlet.py)")
DUMP = (f"{WORKER};CallsService.hotline (services/calls/service.py);"
        "emit (svckit/outbox.py);BaseModel.model_dump_json (pydantic/main.py)")


def test_a_socket_call_counts_for_the_library_that_made_it():
    assert family(frames(PUBLISH)) == "AMQP (kombu/amqp)"
    assert family(frames(QUERY)) == "SQL/ORM"
    assert family(frames(DUMP)) == "JSON/pydantic"
    assert family(frames(HUB)) == "eventlet"
    assert family(frames("main (app.py);uuid4 (uuid.py)")).startswith("other")


def test_a_sample_runs_under_its_entrypoint_or_platform_loop():
    assert activity(frames(QUERY), "calls") == "CallsService.hotline"
    assert activity(frames(PUBLISH), "calls") == "outbox relay"
    assert activity(frames(HUB), "calls") == "other"
    assert activity(frames(f"{WORKER};x (nameko/rpc.py)"), "calls").startswith("RPC")


def test_shares_of_the_samples_are_shares_of_the_cpu_per_call(tmp_path):
    raw = tmp_path / "calls.txt"
    raw.write_text(f"{QUERY} 6\n{PUBLISH} 3\n{DUMP} 1\n")
    profile = summarise(raw, "calls", cpu_ms_per_call=5.0)
    assert profile["samples"] == 10
    assert profile["socket_share"] == 0.3
    assert profile["by_family"]["SQL/ORM"] == {"ms_per_call": 3.0, "share": 0.6}
    assert profile["by_family"]["AMQP (kombu/amqp)"]["ms_per_call"] == 1.5
    assert profile["by_activity"]["CallsService.hotline"]["ms_per_call"] == 3.5
    assert profile["activity_by_family"]["CallsService.hotline"] == {
        "SQL/ORM": 3.0, "JSON/pydantic": 0.5}
