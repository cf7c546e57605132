"""The OAuth2 token endpoint's rules at the gateway (issue 10; RFC 6749 §4.3, §6, §5.2).

- The request: ``grant_type=password`` (username, password) or ``grant_type=refresh_token``
  (refresh_token), as ``application/x-www-form-urlencoded`` (the standard) or JSON.
- The reply: ``{access_token, token_type: "Bearer", expires_in, refresh_token, staff}``; errors
  ``{error, error_description}`` with 400 (``invalid_request``, ``invalid_grant``,
  ``unsupported_grant_type``), 429 ``slow_down`` with ``Retry-After`` while a username or an
  address must wait, 503 ``temporarily_unavailable`` when staffing's hashing slots are full.
- Revocations: each gateway follows ``staff.left``, ``staff.transferred`` and
  ``staff.role_changed`` on a queue of its own and refuses, from then on, every access token of
  that member issued before (:class:`Revocations`); staffing revokes the refresh tokens.
- Throttling is decided by staffing (it owns the accounts; services/staffing/throttle.py); the
  gateway remembers its refusals for as long as they last (:class:`RefusalCache`), so a flood
  is answered here without an RPC: an address's delay for that address, a lock or a delay of a
  username for that username *from that address* only (a username's delays spare the member's
  known addresses, which only staffing knows). The client address: gateway/clients.py.
"""

from __future__ import annotations

import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from nameko.extensions import DependencyProvider
from prometheus_client import Counter
from werkzeug.wrappers import Request, Response

from gateway.auth import AuthError, Principal, VerifiedTokens
from gateway.clients import Network, trusted_networks
from gateway.edge import PROBLEM, ApiError, problem_body
from gateway.models import TOKEN_LIMITS

LOGIN_FAILURES = Counter(
    "csc_login_failures_total",
    "Refused token requests, by reason (bad_credentials, throttled, locked, busy, "
    "invalid_request, unsupported_grant_type, invalid_refresh, refresh_reused).",
    ["reason"],
)
GRANTS = ("password", "refresh_token")
LIMITS = TOKEN_LIMITS  # declared with the body's description (gateway/models.py TokenGrant)
LOCKED_CACHE_SECONDS = 10.0
TARPIT_SECONDS = 1.0  # the longest a refusal from the cache is held back
CACHE_SIZE = 10_000


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer, shaped as the API's other errors are (RFC 9457): the
    members OAuth2 clients read (``error``: the RFC 6749 code, ``error_description``) beside the
    problem's (``type``, ``title``, ``status``, ``detail``, ``code``)."""

    def __init__(self, status: int, error: str, description: str, reason: str,
                 retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.reason, self.retry_after = reason, retry_after

    def response(self) -> Response:
        LOGIN_FAILURES.labels(self.reason).inc()
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        body = {**problem_body(self.status, self.description, self.reason),
                "error": self.error, "error_description": self.description}
        return Response(json.dumps(body, ensure_ascii=False), status=self.status,
                        mimetype=PROBLEM, headers=headers)


def invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description, "invalid_request")


BAD_CREDENTIALS = "wrong username or password"


def grant_parameters(request: Request) -> dict[str, str]:
    """The grant's parameters from a form or a JSON body, each a bounded string."""
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        params: Any = {key: request.form.getlist(key) for key in request.form}
        for key, values in params.items():
            if len(values) != 1:  # RFC 6749 §3.2: parameters must not be repeated
                raise invalid_request(f"parameter {key} given more than once")
        params = {key: values[0] for key, values in params.items()}
    elif mimetype in ("application/json", ""):
        try:
            params = json.loads(request.get_data(as_text=True) or "null")
        except (ValueError, RecursionError) as exc:
            raise invalid_request(f"body is not valid JSON: {exc}") from exc
        if not isinstance(params, dict):
            raise invalid_request("body must be a JSON object or a form")
    else:
        raise invalid_request("send application/x-www-form-urlencoded or application/json")
    grant = params.get("grant_type", "password")  # a bare {username, password}: a password grant
    if grant not in GRANTS:
        raise OAuthError(400, "unsupported_grant_type",
                         f"grant_type must be one of {', '.join(GRANTS)}",
                         "unsupported_grant_type")
    needed = ("username", "password") if grant == "password" else ("refresh_token",)
    values = {"grant_type": grant}
    for key in needed:
        value = params.get(key)
        if not isinstance(value, str) or not value:
            raise invalid_request(f"{', '.join(needed)} (non-empty strings) are required")
        if len(value) > LIMITS[key]:
            raise invalid_request(f"{key} is longer than {LIMITS[key]} characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise invalid_request(f"{key} is not valid text") from exc
        values[key] = value
    return values


def token_reply(access_token: str, ttl_seconds: int, granted: dict) -> Response:
    body = {
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl_seconds,
        "refresh_token": granted["refresh_token"],
        "refresh_expires_in": granted["refresh_expires_in"],
        "staff": granted["staff"],
    }
    return Response(json.dumps(body, ensure_ascii=False), status=200,
                    mimetype="application/json",
                    headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def refusal(answer: dict) -> OAuthError:
    """Staffing's refusal of a login as an OAuth error."""
    error, retry = answer.get("error"), answer.get("retry_after")
    if error == "throttled":
        return OAuthError(429, "slow_down", f"too many failed logins: wait {retry} s",
                          "throttled", int(retry or 1))
    if error == "locked":
        return OAuthError(400, "invalid_grant", "too many failed logins: this login is locked "
                          "until HR or the hall director lifts the lock", "locked")
    if error == "busy":
        return OAuthError(503, "temporarily_unavailable", "too many logins at once; try "
                          "again in a moment", "busy", int(retry or 1))
    return OAuthError(400, "invalid_grant", BAD_CREDENTIALS, "bad_credentials")


# --- what each gateway instance remembers ---------------------------------------------------


class Revocations:
    """Member id → the time (this gateway's clock, epoch seconds) before which their access
    tokens are void. Entries older than an access token's life are dropped."""

    def __init__(self, token_ttl_seconds: float) -> None:
        self.ttl = token_ttl_seconds
        self.loaded = False
        self._not_before: dict[int, float] = {}
        self._lock = threading.Lock()

    def revoke(self, staff_id: int, at: float | None = None) -> None:
        at = time.time() if at is None else at
        with self._lock:
            self._not_before[staff_id] = max(at, self._not_before.get(staff_id, 0.0))
            horizon = time.time() - self.ttl - 60
            for member in [m for m, t in self._not_before.items() if t < horizon]:
                del self._not_before[member]

    def load(self, staff_ids: list[int]) -> None:
        """At start: members revoked within the last token life (from staffing)."""
        now = time.time()
        for staff_id in staff_ids:
            self.revoke(int(staff_id), now)
        self.loaded = True

    def revoked(self, staff_id: int, issued_at: float) -> bool:
        return issued_at < self._not_before.get(staff_id, float("-inf"))


Key = tuple[str, ...]  # ("address", address) or ("pair", username, address)


def refusal_keys(username: str, address: str) -> tuple[Key, Key]:
    return ("address", address), ("pair", username, address)


class RefusalCache:
    """A key (:func:`refusal_keys`) → until when (monotonic) staffing refused logins for it,
    and whether for a lockout (answered 400 invalid_grant) or a delay (429 slow_down)."""

    def __init__(self) -> None:
        self._until: dict[Key, tuple[float, bool]] = {}

    def remember(self, key: Key, seconds: float, locked: bool = False) -> None:
        if seconds <= 0:
            return
        if len(self._until) >= CACHE_SIZE:
            now = time.monotonic()
            self._until = {k: v for k, v in self._until.items() if v[0] > now}
            if len(self._until) >= CACHE_SIZE:
                return  # full of live refusals: staffing still decides
        self._until[key] = (time.monotonic() + seconds, locked)

    def forget_username(self, username: str) -> None:
        """Every pair of ``username`` (HR or the hall director lifted her lock)."""
        for key in [k for k in self._until if k[0] == "pair" and k[1] == username]:
            del self._until[key]

    def refusal(self, *keys: Key) -> OAuthError | None:
        """The answer to give without asking staffing, if one of ``keys`` is still refused."""
        now = time.monotonic()
        live = [entry for key in keys if (entry := self._until.get(key)) and entry[0] > now]
        if any(locked for _, locked in live):
            return refusal({"error": "locked"})
        if live:  # the 503 "busy" of a moment ago is remembered as a short slow-down
            return refusal({"error": "throttled",
                            "retry_after": math.ceil(max(u for u, _ in live) - now)})
        return None


@dataclass
class TokenState:
    revocations: Revocations
    refusals: RefusalCache
    access_ttl_seconds: int
    trusted_proxies: tuple[Network, ...] = ()
    verified: VerifiedTokens = field(default_factory=VerifiedTokens)


class TokenGuard(DependencyProvider):
    """The container's revocation list and refusal cache, from config
    ``GATEWAY: {access_token_ttl_minutes, trusted_proxies}``."""

    def setup(self) -> None:
        settings = self.container.config.get("GATEWAY") or {}
        ttl = int(float(settings.get("access_token_ttl_minutes", 15)) * 60)
        self.state = TokenState(Revocations(ttl), RefusalCache(), ttl,
                                trusted_networks(settings.get("trusted_proxies")))

    def get_dependency(self, worker_ctx) -> TokenState:
        return self.state


def authenticate(header: str | None, secret: str, revocations: Revocations,
                 verified: VerifiedTokens) -> Principal:
    """The member behind a bearer header, unless her token is invalid or revoked (ApiError
    401). The revocation list must be loaded (the service loads it on first use)."""
    try:
        principal = verified.principal(header, secret)
    except AuthError as exc:
        raise ApiError(401, str(exc), "unauthenticated") from exc
    if revocations.revoked(principal.staff_id, principal.issued_at):
        raise ApiError(401, "the token was revoked (the member left, moved or changed role): "
                       "sign in again", "token_revoked")
    return principal
