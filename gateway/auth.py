"""Bearer tokens for staff: signed JWTs carrying the staff id, username, role and department."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import jwt

from svckit.clock import wall_now

ALGORITHM = "HS256"


class AuthError(Exception):
    """The request carries no valid token."""


@dataclass(frozen=True)
class Principal:
    staff_id: int
    username: str
    role: str
    department: str | None = None


def issue_token(staff: dict, secret: str, ttl: timedelta) -> str:
    now = wall_now()
    claims = {
        "sub": str(staff["id"]),
        "username": staff["username"],
        "role": staff["role"],
        "department": staff.get("department"),
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def principal_from_header(header: str | None, secret: str) -> Principal:
    """The staff member behind an ``Authorization: Bearer <token>`` header."""
    if not header or not header.startswith("Bearer "):
        raise AuthError("missing bearer token")
    try:
        claims = jwt.decode(
            header.removeprefix("Bearer ").strip(),
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    return Principal(
        int(claims["sub"]),
        claims.get("username", ""),
        claims.get("role", ""),
        claims.get("department"),
    )
