"""The key authors are hashed with, and the hashing itself (HMAC-SHA256).

Why a key: an author handle hashed without one is found again by hashing a list of handles, so a
plain hash names people to anyone holding the database. With the key kept outside it (the
environment, a secret file), the stored value counts distinct people and identifies no one.

Where it comes from, first found wins: the variable ``privacy.author_key_env`` names
(LISTENER_AUTHOR_KEY), the file ``privacy.author_key_file`` (default ``data_dir/author.key``).
With neither, a SQLite database gets a key generated into that file on first use (one machine,
one database: the try-it command must work without setup, and the key sits beside the data it
protects, in the folder operators already back up). Any other database is an error: several
instances on one PostgreSQL database must share one key, and one generated on one host would
silently count every author twice.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets as random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from listener import secrets
from listener.errors import ConfigError
from listener.logging import get_logger
from listener.store.items import author_hash

if TYPE_CHECKING:
    from listener.config import Config

log = get_logger("listener.privacy")
MIN_KEY_CHARS = 16
KEY_FILE = "author.key"
_CHECK_LABEL = b"listener author key check v1"
_NEW_KEY = "python3 -c 'import secrets; print(secrets.token_hex(32))'"
_lock = threading.Lock()
_cache: dict[tuple[str, str, str], Pseudonymiser] = {}


@dataclass(frozen=True)
class Pseudonymiser:
    """Turns who said something into a value that counts people without naming them."""

    key: bytes = field(repr=False)

    def pseudonym(self, speaker: str | None) -> str | None:
        """HMAC-SHA256 of the speaker's normalised digest (``store.items.author_hash``): what a
        scrubbed item carries as its author. Keyed over the digest rather than the handle, so an
        old database's unkeyed digests can be converted without the handles (privacy.upgrade)."""
        return self.keyed(author_hash(speaker))

    def keyed(self, digest: str | None) -> str | None:
        if digest is None:
            return None
        return hmac.digest(self.key, digest.encode(), "sha256").hex()  # = hmac.new's hexdigest

    def stored_author(self, speaker: str | None) -> str | None:
        """``items.author_hash`` (and a statement's ``author_key``) of this speaker, as ingest
        stores it: the store hashes the pseudonym to its fixed width."""
        return author_hash(self.pseudonym(speaker))

    @property
    def check(self) -> str:
        """Stored in the database: tells whether a later key is the same, without revealing it."""
        return hmac.new(self.key, _CHECK_LABEL, hashlib.sha256).hexdigest()


def pseudonymiser(config: Config) -> Pseudonymiser:
    """The config's key, loaded once per process (see the module docstring for where from)."""
    privacy = config.service.privacy
    key_file = config.resolve(privacy.author_key_file or config.data_dir / KEY_FILE)
    cache_key = (privacy.author_key_env, str(key_file), os.environ.get(privacy.author_key_env, ""))
    with _lock:
        if cache_key not in _cache:
            _cache[cache_key] = Pseudonymiser(_load(config, key_file))
        return _cache[cache_key]


def _load(config: Config, key_file: Path) -> bytes:
    name = config.service.privacy.author_key_env
    value = os.environ.get(name, "")
    where = f"environment variable {name}"
    if not value and key_file.is_file():
        value, where = _read(key_file), f"privacy.author_key_file ({key_file})"
    elif not value:
        if not config.database_url.startswith("sqlite"):
            raise ConfigError(
                [
                    f"{config.path}: privacy: {name} is not set and {key_file} does not exist: "
                    "authors are stored as a keyed hash, and every instance on this database "
                    "needs the same key"
                ],
                hint=f"export {name}=$({_NEW_KEY}) in the service's environment file, the same "
                "on every instance, and keep it (the database remembers which key it was given)",
            )
        value, where = _generate(key_file), f"generated file {key_file}"
    secrets.register(value)
    if len(value) < MIN_KEY_CHARS:
        raise ConfigError(
            [f"{config.path}: privacy: the key in {where} has {len(value)} characters"],
            hint=f"use at least {MIN_KEY_CHARS} random characters, e.g. $({_NEW_KEY})",
        )
    return value.encode()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [f"privacy.author_key_file: cannot read {path} ({exc})"],
            hint="make the file readable by the service, or set the key in the environment",
        ) from None


def _generate(path: Path) -> str:
    """A new key in ``path`` (mode 0600); a process that loses the race reads the winner's."""
    value = random.token_hex(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    except OSError as exc:
        raise ConfigError(
            [f"privacy: cannot create the author key file {path} ({exc.strerror})"],
            hint="make data_dir writable, or set the key in the environment (LISTENER_AUTHOR_KEY)",
        ) from None
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    log.warning("author key generated; back it up with the database", path=str(path))
    return value
