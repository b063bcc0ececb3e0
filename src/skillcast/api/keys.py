"""API keys for the prediction service: issued once, stored only as hashes, revocable.

Keys come from two places, both read by the service at start and the key file again
whenever it changes on disk (so a revocation takes effect at the next request):

* the key file (``Config.api_keys_file``, JSON), written by ``skillcast keys create`` and
  ``skillcast keys revoke``: names, SHA-256 digests and revocation times, never a key;
* ``SKILLCAST_API_KEYS`` (comma-separated keys, for containers and CI secrets), hashed as
  soon as they are read; a key that is also revoked in the file stays revoked.

A key is 32 random bytes (``secrets.token_urlsafe``), so a plain SHA-256 digest is enough:
there is nothing to guess by brute force that a slow password hash would protect. Checks
compare the presented key's digest with *every* stored digest in constant time, so timing
says nothing about how much of a digest matched or which entry did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from skillcast.data.atomic import PRIVATE, write_text

KEY_PREFIX = "sk_"
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Verdict(StrEnum):
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class StoredKey:
    name: str
    sha256: str
    created: str = ""
    revoked: str | None = None  # when it was revoked (ISO time), None while valid


@dataclass(frozen=True)
class KeyCheck:
    verdict: Verdict
    name: str | None = None  # the key's name (safe to log), never the key


class KeyRing:
    """The keys the service accepts; ``check`` is the only question it answers."""

    def __init__(self, keys: list[StoredKey]):
        self.keys = list(keys)

    def check(self, presented: str) -> KeyCheck:
        presented_digest = digest(presented)
        found: StoredKey | None = None
        for key in self.keys:  # no early exit: every entry costs the same
            if hmac.compare_digest(key.sha256, presented_digest) and (found is None or key.revoked):
                found = key
        if found is None:
            return KeyCheck(Verdict.UNKNOWN)
        return KeyCheck(Verdict.REVOKED if found.revoked else Verdict.ACCEPTED, found.name)

    def __len__(self) -> int:
        return len(self.keys)


class KeyFileError(ValueError):
    """The key file exists but cannot be read or understood."""


def _read_file(path: Path) -> list[StoredKey]:
    if not path.exists():
        return []
    try:
        entries = json.loads(path.read_text())["keys"]
        return [StoredKey(**entry) for entry in entries]
    except OSError as error:
        raise KeyFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (ValueError, KeyError, TypeError) as error:
        raise KeyFileError(f'{path}: not a skillcast key file ({error}); expected {{"keys": [{{"name", "sha256", ...}}]}}') from None


def _from_environment(value: str | None) -> list[StoredKey]:
    keys = [part.strip() for part in (value or "").split(",") if part.strip()]
    return [StoredKey(name=f"env-{position + 1}", sha256=digest(key)) for position, key in enumerate(keys)]


class KeySource:
    """The key ring of a key file plus environment keys, reloaded when the file changes.

    Fails closed: while the file cannot be read or parsed (a half-written copy, wrong
    permissions, a disk error), ``ring`` raises ``KeyFileError`` and the service refuses
    every key - the last good ring may hold a key revoked since, so it is not used.
    """

    def __init__(self, path: Path | None, environment_keys: list[str] | tuple[str, ...] = ()):
        self.path = Path(path) if path else None
        self._environment = _from_environment(",".join(environment_keys))
        self._stamp: tuple[int, int, int] | None = None
        self._ring = KeyRing(self._environment)
        self._error: KeyFileError | None = None
        self._reload()

    def _file_stamp(self) -> tuple[int, int, int] | None:
        if self.path is None:
            return None
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return None
        except OSError:
            return (-1, -1, -1)  # not even its metadata: read it (and fail) again
        return (status.st_mtime_ns, status.st_size, status.st_mode)

    def _reload(self) -> None:
        stamp = self._file_stamp()
        self._stamp = stamp
        try:
            stored = _read_file(self.path) if stamp is not None and self.path is not None else []
        except KeyFileError as error:
            self._error = error
            return
        self._ring, self._error = KeyRing([*stored, *self._environment]), None

    def ring(self) -> KeyRing:
        """The current ring; a changed key file is re-read. Raises ``KeyFileError`` while it is unreadable."""
        stamp = self._file_stamp()
        if stamp != self._stamp or stamp == (-1, -1, -1):
            self._reload()
        if self._error is not None:
            raise self._error
        return self._ring


# -- managing the key file (the CLI's `skillcast keys ...`) ------------------------------------


def _write_file(path: Path, keys: list[StoredKey]) -> None:
    """Write the key file atomically, readable by its owner only."""
    write_text(path, json.dumps({"keys": [key.__dict__ for key in keys]}, indent=2), mode=PRIVATE)


def list_keys(path: Path) -> list[StoredKey]:
    return _read_file(path)


def create_key(path: Path, name: str) -> str:
    """Issue a new key named ``name``; returns the key, which is shown once and never stored."""
    import re

    if not re.match(NAME_PATTERN, name):
        raise ValueError(f"key name {name!r}: expected letters, digits, '.', '_' or '-' (at most 64), starting with a letter or digit")
    keys = _read_file(path)
    if any(key.name == name for key in keys):
        raise ValueError(f"key name {name!r} is already used in {path}; choose another name")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    created = datetime.now(UTC).isoformat(timespec="seconds")
    _write_file(path, [*keys, StoredKey(name=name, sha256=digest(key), created=created)])
    return key


def revoke_key(path: Path, name: str) -> StoredKey:
    keys = _read_file(path)
    matching = [key for key in keys if key.name == name]
    if not matching:
        raise ValueError(f"no key named {name!r} in {path}; known: {[key.name for key in keys]}")
    if matching[0].revoked:
        return matching[0]
    revoked = StoredKey(
        name=name, sha256=matching[0].sha256, created=matching[0].created, revoked=datetime.now(UTC).isoformat(timespec="seconds")
    )
    _write_file(path, [revoked if key.name == name else key for key in keys])
    return revoked
