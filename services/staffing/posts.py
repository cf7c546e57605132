"""A/B posts (S1.5): who acts for a post, and when a post is uncovered. Pure.

Every window (and every organisation position) has an A and a B holder. While A is away
(approved leave, absence) B covers and acts with A's authority: approvals at A's step are B's to
give, and A's open work orders are handed to B. With neither present the post is uncovered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class PostView:
    """A post's holders, as the rules need them."""

    id: int
    code: str
    kind: str
    department: str | None
    a_holder: int | None
    b_holder: int | None

    @property
    def holders(self) -> tuple[int, ...]:
        return tuple(p for p in (self.a_holder, self.b_holder) if p is not None)


def acting_holder(post: PostView, away: set[int]) -> int | None:
    """Who acts for the post: A when present, else B when present (S1.5), else nobody."""
    return next((person for person in post.holders if person not in away), None)


def covering_for(post: PostView, caller: int, away: set[int]) -> int | None:
    """The A holder ``caller`` covers for on ``post`` (caller is B and acting), else None."""
    if caller == post.b_holder and caller != post.a_holder and acting_holder(post, away) == caller:
        return post.a_holder
    return None


def uncovered(posts: Iterable[PostView], away: set[int]) -> list[PostView]:
    """The posts with neither holder present (S1.5)."""
    return [post for post in posts if acting_holder(post, away) is None]


def would_uncover(posts: Iterable[PostView], leaver: int, away: set[int]) -> list[PostView]:
    """The posts of ``leaver`` that would have nobody present if ``leaver`` were away too."""
    return [post for post in uncovered(posts, away | {leaver}) if leaver in post.holders]


def cover_for(posts: Iterable[PostView], leaver: int, away: set[int]) -> int | None:
    """Who takes over ``leaver``'s work (S1.19): the present B holder of a window where the
    leaver is A (the first such window), else the present A of a window where they are B."""
    ordered = sorted(posts, key=lambda post: (post.a_holder != leaver, post.id))
    for post in ordered:
        if leaver in post.holders:
            other = post.b_holder if post.a_holder == leaver else post.a_holder
            if other is not None and other not in away and other != leaver:
                return other
    return None
