"""The voice menu's rule (S3.1): one digit, asked at most twice, else unclassified."""

import pytest

from contracts.events import Category
from services.calls.ivr import Prompts, ask_category
from svckit.agi import GetDataResult


class ScriptedCaller:
    """Answers GET DATA from a list (None: timeout) and notes what was played."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.played: list[str] = []

    def stream_file(self, name, escape_digits=""):
        self.played.append(name)
        return ""

    def get_data(self, prompt, timeout_ms, max_digits):
        assert max_digits == 1
        self.played.append(prompt)
        answer = self.answers.pop(0)
        return GetDataResult(answer or "", answer is None)


@pytest.mark.parametrize(
    ("answers", "category", "keyed", "played"),
    [
        (["1"], Category.INQUIRY, ["1"], ["menu"]),
        (["2"], Category.FAULT_REPORT, ["2"], ["menu"]),
        (["3"], Category.COMPLAINT, ["3"], ["menu"]),
        (["4"], Category.SERVICE_APPLICATION, ["4"], ["menu"]),
        ([None, "2"], Category.FAULT_REPORT, ["", "2"], ["menu", "invalid", "menu"]),
        (["0", "4"], Category.SERVICE_APPLICATION, ["0", "4"], ["menu", "invalid", "menu"]),
        ([None, None], Category.UNCLASSIFIED, ["", ""], ["menu", "invalid", "menu"]),
        (["#", "9"], Category.UNCLASSIFIED, ["#", "9"], ["menu", "invalid", "menu"]),
    ],
)
def test_ask_category(answers, category, keyed, played):
    caller, pressed = ScriptedCaller(answers), []
    prompts = Prompts(menu="menu", invalid="invalid")
    assert ask_category(caller, prompts, pressed) == category
    assert pressed == keyed
    assert caller.played == played
    assert caller.answers == []  # never asks a third time
