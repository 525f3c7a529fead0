"""The audit key: the secret every audit record is sealed with (HMAC-SHA256).

Why a key, and why outside the data directory: a plain hash chain shows that records were
edited, but whoever can write the database can recompute every hash after editing. With a
key they cannot, unless they also hold the key, so the key lives with the operator's
configuration (`~/.config/lfr/audit.key` by default), not beside `lfr.db`, and backups of
the data directory do not carry it.

The file holds 32 random bytes as hex (easy to back up and compare), mode 0600; one with
wider permissions is refused, as ssh refuses such a private key. It is created at first use,
atomically, so two processes starting together agree on one key. A rotation writes the new
key beside the old one (`audit.key.new`) before the database is re-sealed and renames it into
place after; `load_audit_key` finishes a rotation that a crash interrupted.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from lfr.store.errors import StoreError

KEY_BYTES = 32
PENDING_SUFFIX = ".new"


class AuditKeyError(StoreError):
    """The audit key file is missing, unreadable, too open, malformed, or not the key this
    store's trail was sealed with. Nothing was written."""


@dataclass(frozen=True)
class AuditKey:
    path: Path
    secret: bytes = field(repr=False)

    @property
    def fingerprint(self) -> str:
        """Names the key without revealing it: shown by `lfr audit verify`, recorded in the
        store and in every exported head."""
        return fingerprint_of(self.secret)


def fingerprint_of(secret: bytes) -> str:
    return hashlib.sha256(b"lfr-audit-key\x00" + secret).hexdigest()[:32]


def load_audit_key(path: Path, *, expect: str | None = None, create: bool = True) -> AuditKey:
    """Read the key (creating it when missing and `create`). With `expect` (the fingerprint
    the store records), a pending rotation whose new key matches is completed first."""
    pending = pending_path(path)
    if expect is not None and pending.exists():
        candidate = _read(pending)
        if candidate.fingerprint == expect:
            os.replace(pending, path)  # the database was re-sealed: the rotation is done
            return AuditKey(path, candidate.secret)
    if not path.exists() and not path.is_symlink():
        if not create:
            raise AuditKeyError(
                f"audit key file {path} does not exist, but this store's audit trail is "
                f"sealed with key {expect}: restore that key from your backup, or point "
                "[audit] key_file (or LFR_AUDIT_KEY_FILE) at it"
            )
        _create(path, secrets.token_bytes(KEY_BYTES))
    return _read(path)


def pending_path(path: Path) -> Path:
    return path.with_name(path.name + PENDING_SUFFIX)


def write_new_key(path: Path) -> AuditKey:
    """A fresh key at `path`, which must not exist yet (the rotation's pending file)."""
    secret = secrets.token_bytes(KEY_BYTES)
    _create(path, secret)
    return AuditKey(path, secret)


def _create(path: Path, secret: bytes) -> None:
    """Write to a private temporary file, then link it into place: the key appears whole or
    not at all, and an existing key is never overwritten (another process won the race)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secret.hex() + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise AuditKeyError(f"cannot create audit key file {path}: {exc.strerror}") from exc


def _read(path: Path) -> AuditKey:
    try:
        info = path.stat()
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not a key file"
        raise AuditKeyError(f"cannot read audit key file {path}: {reason}") from exc
    if not stat.S_ISREG(info.st_mode):
        raise AuditKeyError(f"audit key file {path} is not a regular file")
    if info.st_mode & 0o077:
        raise AuditKeyError(
            f"audit key file {path} is readable by others (mode {info.st_mode & 0o777:o}): "
            f"run `chmod 600 {path}`"
        )
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        secret = b""
    if len(secret) < KEY_BYTES:
        raise AuditKeyError(
            f"audit key file {path} does not hold a key of {KEY_BYTES} bytes in hex; "
            "restore it from your backup (a new key cannot verify the records sealed so far)"
        )
    return AuditKey(path, secret)
