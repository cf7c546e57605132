"""The 95598 voice menu (S3.1): which kind of business the caller wants."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contracts.events import Category

MENU = {
    "1": Category.INQUIRY,
    "2": Category.FAULT_REPORT,
    "3": Category.COMPLAINT,
    "4": Category.SERVICE_APPLICATION,
}


class Menu(Protocol):
    """The part of an AGI channel the menu uses."""

    def stream_file(self, name: str, escape_digits: str = "") -> str: ...
    def get_data(self, prompt: str, timeout_ms: int, max_digits: int): ...


@dataclass(frozen=True)
class Prompts:
    """Sound file names (Asterisk's sounds directory, no extension) and the menu timeout."""

    welcome: str = "custom/95598-welcome"
    menu: str = "custom/95598-menu"
    invalid: str = "custom/95598-invalid"
    outage_notice: str = "custom/95598-outage-notice"  # before the menu, to callers in an outage
    timeout_ms: int = 5000
    attempts: int = 2


def ask_category(channel: Menu, prompts: Prompts, keyed: list[str]) -> Category:
    """Ask for one digit, once more on a timeout or an unknown digit, then give up.

    Every answer is appended to ``keyed`` as it arrives ("" for a timeout), so the call record
    keeps what was pressed even if the caller hangs up half-way.
    """
    for attempt in range(prompts.attempts):
        if attempt:
            channel.stream_file(prompts.invalid)
        answer = channel.get_data(prompts.menu, prompts.timeout_ms, 1)
        keyed.append(answer.digits)
        if answer.digits in MENU:
            return MENU[answer.digits]
    return Category.UNCLASSIFIED
