"""A/B posts (S1.5): who acts for a post, and when a post is uncovered. Pure.

Every window (and every organisation position) has an A and a B holder, both of the post's
department (a window's: the department that staffs it, S1.4). While A is away (approved leave,
absence) B covers and acts with A's authority: approvals at A's step are B's to give, and A's open
work orders are handed to B. A leave that would leave the post with neither present is approved
only once a cover is named for it (the section chief arranges it, S1.5); while that leave runs
the named cover acts for the post. With nobody present the post is uncovered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


class HolderRuleError(ValueError):
    """A post's holders break S1.5; the message says how."""


@dataclass(frozen=True)
class PostView:
    """A post's holders, as the rules need them."""

    id: int
    code: str
    kind: str
    department: str | None
    a_holder: int | None
    b_holder: int | None
    cover: int | None = None  # named for a leave of A and B now running (S1.5)

    @property
    def holders(self) -> tuple[int, ...]:
        return tuple(p for p in (self.a_holder, self.b_holder) if p is not None)


def acting_holder(post: PostView, away: set[int]) -> int | None:
    """Who acts for the post: A when present, else B when present (S1.5), else the cover named
    for the leave that took them away, else nobody."""
    present = (p for p in (*post.holders, post.cover) if p is not None and p not in away)
    return next(present, None)


def covering_for(post: PostView, caller: int, away: set[int]) -> int | None:
    """The A holder ``caller`` covers for on ``post`` (caller is B or the named cover, and
    acting), else None."""
    if caller in (post.b_holder, post.cover) and caller != post.a_holder \
            and acting_holder(post, away) == caller:
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
            for person in (other, post.cover):
                if person is not None and person not in away and person != leaver:
                    return person
    return None


def check_holders(
    department: str | None, a_holder: int | None, b_holder: int | None,
    departments: dict[int, str | None],
) -> None:
    """A post is saved with an A and a B holder, two people, both of the post's department
    (S1.5; a window's department is the one that staffs it, S1.4). ``departments``: each
    holder's department."""
    if a_holder is None or b_holder is None:
        raise HolderRuleError("a post has both an A and a B holder (S1.5): give a_holder_id and "
                              "b_holder_id")
    if a_holder == b_holder:
        raise HolderRuleError("A and B holders must be two people (S1.5)")
    strangers = [f"{key} {person} is of {departments.get(person)}" for key, person in
                 (("A holder", a_holder), ("B holder", b_holder))
                 if departments.get(person) != department]
    if strangers:
        raise HolderRuleError(f"both holders must be of the post's department {department} "
                              f"(S1.5): {'; '.join(strangers)}")
