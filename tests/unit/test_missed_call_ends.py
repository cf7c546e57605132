"""A call whose hang-up came while the AMI line was down (issue 16): the reconciliation's pure
rule finds it by its absence from CoreShowChannels and closes it as a heard hang-up would."""

from datetime import UTC, datetime, timedelta

from services.staffing import call_facts as facts
from svckit.ami import Message

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _channel(name: str, uniqueid: str, linkedid: str) -> Message:
    return Message([("Event", "CoreShowChannel"), ("Channel", name), ("Uniqueid", uniqueid),
                    ("Linkedid", linkedid), ("ChannelStateDesc", "Up")])


def _calls() -> dict[str, facts.Progress]:
    talking = facts.Progress("talk", "direct", _at(0), device="PJSIP/1001",
                             answered_at=_at(10), hold_seconds=10.0)
    return {
        "talk": talking,  # answered; its channels are gone: ended while the line was down
        "ring": facts.Progress("ring", "95598", _at(5), ringing="PJSIP/1002"),  # gone too
        "live": facts.Progress("live", "95598", _at(0), device="PJSIP/1003", answered_at=_at(4)),
        "leg": facts.Progress("leg", "95598", _at(0)),  # only its agent leg is listed: alive
        "done": facts.Progress("done", "direct", _at(0), answered_at=_at(3), ended_at=_at(9)),
        "late": facts.Progress("late", "95598", _at(61)),  # offered after the listing
    }


def test_calls_in_progress_without_a_channel_are_the_missed_ends():
    listed = facts.listing([_channel("PJSIP/trunk-0000000a", "live", "live"),
                            _channel("PJSIP/1003-0000000b", "9.2", "live"),
                            _channel("PJSIP/1004-0000000c", "9.3", "leg"),
                            _channel("Local/x@agents-00000001;1", "9.4", "9.4")], _at(60))
    assert listed.devices == {"PJSIP/trunk", "PJSIP/1003", "PJSIP/1004"}  # Local/...: none
    assert facts.missed_ends(_calls().values(), listed) == ["talk", "ring"]
    assert facts.missed_ends(_calls().values(), facts.listing([], _at(60))) == [
        "talk", "ring", "live", "leg"]


def test_a_missed_end_closes_as_a_heard_hang_up_would_marked_inferred_and_only_once():
    calls = _calls()
    ended, news = facts.advance(calls["talk"], facts.lost_hangup(calls["talk"]), _at(70))
    assert (news, ended.ended_at, ended.talk_seconds, ended.end_inferred) == (
        "ended", _at(70), 60.0, True)
    assert facts.lost_hangup(calls["talk"]).device == "PJSIP/1001"
    gone, news = facts.advance(calls["ring"], facts.lost_hangup(calls["ring"]), _at(70))
    assert (news, gone.abandoned_at, gone.waited_seconds, gone.ringing, gone.end_inferred) == (
        "abandoned", _at(70), 65.0, None, True)
    assert facts.lost_hangup(calls["ring"]).device == "PJSIP/1002"  # her ring is over too
    again, news = facts.advance(ended, facts.lost_hangup(ended), _at(80))  # a 2nd reconcile
    assert (news, again) == (None, ended)
    assert facts.missed_ends([ended, gone], facts.listing([], _at(90))) == []


def test_a_heard_hang_up_is_not_marked_inferred():
    heard, news = facts.advance(_calls()["talk"], facts.Fact("hangup", "talk", caller_leg=True),
                                _at(30))
    assert (news, heard.end_inferred) == ("ended", False)
