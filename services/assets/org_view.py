"""The organisation as the assets rules need it: staffing's posts and who acts for each now.
Pure: built from staffing's ``organisation`` answer (svckit/staff_cache.py keeps it)."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.events import Capacity, Notified, PostKind


@dataclass(frozen=True)
class PostHolders:
    code: str
    kind: str
    department: str | None
    a_holder: int | None
    b_holder: int | None
    acting: int | None  # A, or B (or a named cover) while A is away (S1.5); None: nobody


@dataclass(frozen=True)
class Org:
    posts: tuple[PostHolders, ...]
    away: frozenset[int] = frozenset()

    @classmethod
    def from_overview(cls, overview: dict) -> Org:
        posts = tuple(
            PostHolders(p["code"], p["kind"], p.get("department"), p.get("a_holder_id"),
                        p.get("b_holder_id"), p.get("acting"))
            for p in overview.get("posts", ())
        )
        return cls(posts, frozenset(overview.get("away", ())))

    def post(self, code: str) -> PostHolders | None:
        return next((p for p in self.posts if p.code == code), None)

    def acting(self, kind: PostKind, department: str | None = None) -> int | None:
        """Who acts now for the position of ``kind`` (of ``department`` for a section chief)."""
        for post in self.posts:
            if post.kind == kind.value and (kind != PostKind.SECTION_CHIEF
                                            or post.department == department):
                return post.acting
        return None

    def acts_as(self, staff_id: int, *kinds: PostKind) -> bool:
        """Whether ``staff_id`` acts now for a position of one of ``kinds``."""
        return any(p.acting == staff_id for p in self.posts if p.kind in kinds)

    def holds(self, staff_id: int, kind: PostKind) -> bool:
        """Whether ``staff_id`` is A or B of a position of ``kind`` (acting or not)."""
        return any(staff_id in (p.a_holder, p.b_holder) for p in self.posts if p.kind == kind)

    def windows(self) -> list[PostHolders]:
        return [p for p in self.posts if p.kind == PostKind.WINDOW.value]

    def serves_window(self, staff_id: int, window: str) -> bool:
        """The window's A or B holder, or whoever acts for it now (S1.5, S1.9)."""
        post = self.post(window)
        return post is not None and post.kind == PostKind.WINDOW.value and staff_id in (
            post.a_holder, post.b_holder, post.acting)

    def leaders(self, department: str | None) -> list[Notified]:
        """The department's section chief and the hall director, as acting now: who is told
        of a department's alert (S1.5, S1.11)."""
        found = [(self.acting(PostKind.SECTION_CHIEF, department), Capacity.SECTION_CHIEF),
                 (self.acting(PostKind.HALL_DIRECTOR), Capacity.HALL_DIRECTOR)]
        return [Notified(staff_id=who, capacity=why) for who, why in found if who is not None]


def recipients(*groups: list[Notified] | Notified | None) -> list[Notified]:
    """Everyone named once, the first capacity kept."""
    seen: dict[int, Notified] = {}
    for group in groups:
        for one in group if isinstance(group, list) else [group]:
            if one is not None and one.staff_id not in seen:
                seen[one.staff_id] = one
    return list(seen.values())


def notified(staff_id: int | None, capacity: Capacity) -> Notified | None:
    return None if staff_id is None else Notified(staff_id=staff_id, capacity=capacity)
