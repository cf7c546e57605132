"""Bearer access tokens for staff: signed JWTs carrying the staff id, username, role and
department, short-lived (15 minutes by default, issue 10); ``iat`` to the millisecond, so that a
revocation (gateway/tokens.py) voids exactly the tokens issued before it."""

from __future__ import annotations

import time
from collections.abc import Callable
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


class VerifiedTokens:
    """Access tokens whose signature and claims were checked, by their text, until they
    expire: checking an HS256 signature and decoding the claims was half of what a read served
    from memory cost (issue 10, bench/api_reads.py). Only a token verified before with the same
    secret is found; revocations are still checked on every use (gateway/tokens.py). At most
    ``size`` entries, the oldest dropped first; overlong tokens are not kept."""

    MAX_TOKEN_CHARS = 2048

    def __init__(self, size: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.size, self._clock = size, clock
        self._known: dict[str, tuple[str, Principal]] = {}

    def principal(self, header: str | None, secret: str) -> Principal:
        """As :func:`principal_from_header`, from memory when the token was seen before."""
        if not header or not header.startswith("Bearer "):
            raise AuthError("missing bearer token")
        token = header.removeprefix("Bearer ").strip()
        known = self._known.get(token)
        if known is not None and known[0] == secret:
            if known[1].expires_at > self._clock():
                return known[1]
            del self._known[token]
        principal = principal_from_header(header, secret)
        if len(token) <= self.MAX_TOKEN_CHARS:
            if len(self._known) >= self.size:
                del self._known[next(iter(self._known))]
            self._known[token] = (secret, principal)
        return principal
