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


def hash_problem(stored: str) -> str | None:
    """Why ``stored`` can never verify any password (an import's ``password_hash``), or
    None when it is a well-formed scrypt hash of the form :func:`hash_password` writes."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return "not a credx password hash (scrypt$N$r$p$salt$digest); give password instead"
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return "the scrypt parameters, salt or digest cannot be read"
    if n < 2 or n & (n - 1) or n > 2**20 or not 1 <= r <= 32 or not 1 <= p <= 16:
        return f"scrypt parameters N={n} r={r} p={p} are out of range (N a power of two)"
    if 128 * n * r > 128 * 1024 * 1024:
        return "scrypt parameters need more memory than credx allows when checking"
    if len(salt) < 8 or len(digest) < 16:
        return "the salt or digest is too short to be a real hash"
    return None
