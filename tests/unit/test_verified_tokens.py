"""Access tokens verified once and then known until they expire (gateway/auth.py)."""

from datetime import timedelta

import pytest

from gateway.auth import AuthError, VerifiedTokens, issue_token

SECRET = "unit-secret-of-at-least-thirty-two-bytes"
STAFF = {"id": 7, "username": "agent07", "role": "seat_agent"}


def test_a_token_is_verified_once_and_known_until_it_expires():
    now = [0.0]
    verified = VerifiedTokens(clock=lambda: now[0])
    header = "Bearer " + issue_token(STAFF, SECRET, timedelta(minutes=15))
    principal = verified.principal(header, SECRET)
    now[0] = principal.expires_at - 1
    assert verified.principal(header, SECRET) is principal  # from memory
    now[0] = principal.expires_at  # by this memory's clock: past its life, verified again
    again = verified.principal(header, SECRET)
    assert again == principal and again is not principal
    expired = "Bearer " + issue_token(STAFF, SECRET, timedelta(seconds=-5))
    for _ in range(2):  # refused, and never remembered
        with pytest.raises(AuthError):
            verified.principal(expired, SECRET)


def test_only_the_same_token_under_the_same_secret_and_scheme_is_known():
    verified = VerifiedTokens()
    token = issue_token(STAFF, SECRET, timedelta(minutes=15))
    verified.principal("Bearer " + token, SECRET)
    for header, secret in [("Bearer " + token[:-2] + "xx", SECRET), (token, SECRET),
                           ("Bearer " + token, "another-secret-of-thirty-two-bytes!!")]:
        with pytest.raises(AuthError):
            verified.principal(header, secret)


def test_the_memory_is_bounded_oldest_first():
    verified = VerifiedTokens(size=2)
    headers = ["Bearer " + issue_token({**STAFF, "id": n}, SECRET, timedelta(minutes=15))
               for n in range(3)]
    for header in headers:
        verified.principal(header, SECRET)
    assert len(verified._known) == 2 and headers[0].removeprefix("Bearer ") not in verified._known
