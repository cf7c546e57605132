"""Bearer access tokens for staff: signed JWTs carrying the staff id, username, role and
department, short-lived (15 minutes by default, issue 10); ``iat`` to the millisecond, so that a
revocation (gateway/tokens.py) voids exactly the tokens issued before it."""

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
    issued_at: float = 0.0  # epoch seconds
    expires_at: float = 0.0  # epoch seconds (an open event stream closes then)


def issue_token(staff: dict, secret: str, ttl: timedelta) -> str:
    now = wall_now()
    claims = {
        "typ": "access",
        "sub": str(staff["id"]),
        "username": staff["username"],
        "role": staff["role"],
        "department": staff.get("department"),
        "iat": round(now.timestamp(), 3),
        "exp": int((now + ttl).timestamp()),
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
            options={"require": ["exp", "sub", "iat"]},
        )
    except jwt.PyJWTError as exc:
        raise AuthError(f"invalid token: {exc}") from exc
    return Principal(
        int(claims["sub"]),
        claims.get("username", ""),
        claims.get("role", ""),
        claims.get("department"),
        float(claims["iat"]),
        float(claims["exp"]),
    )
