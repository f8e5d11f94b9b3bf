"""Salted password hashes (scrypt from the standard library); never plain text.

scrypt is memory-hard like argon2 and needs no compiled dependency on the lab machines.
The stored form names its parameters, so they can be raised later without breaking
old hashes."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
"""scrypt cost: about 16 MiB and a few tens of milliseconds per hash on this machine."""


def hash_password(password: str) -> str:
    """A new salted hash of ``password``: ``scrypt$n$r$p$salt$digest``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    enc = base64.b64encode
    return f"scrypt${N}${R}${P}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; False for any malformed hash."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(digest_b64)
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=128 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@functools.cache
def dummy_hash() -> str:
    """A hash of nothing anyone knows: checked for an unknown account so that its
    refusal costs what a wrong password costs (no telling accounts apart by time)."""
    return hash_password(secrets.token_urlsafe(16))
