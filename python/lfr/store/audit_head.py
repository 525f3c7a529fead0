"""Exported audit heads: `audit.head.log`, one JSON line per export, only ever appended.

Why: the key stops someone who can write the database from re-sealing an edited trail, but
not someone who also took the key. A head copied somewhere they cannot reach (a log shipper,
a ticket, a print-out) pins the trail as it was: every later trail must still contain it.
The daemon appends a line at every run start and stop and once a day; an operator ships the
file elsewhere and checks it with `lfr audit verify --head-log FILE` (or one hash with
`--expect-head`).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from lfr.store.audit import AuditLog, ExpectedHead
from lfr.store.errors import StoreError

HEAD_LOG = "audit.head.log"


@dataclass(frozen=True)
class HeadLine:
    time: str
    event: str
    store: str
    seq: int
    head: str
    key: str


def export_head(audit: AuditLog, path: Path, *, event: str, store_id: str) -> HeadLine:
    """Append the current head to `path` (created 0600; never rewritten, never a symlink)."""
    key = audit.fingerprint()
    seq, head = audit.head()
    line = HeadLine(
        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), event, store_id, seq, head, key
    )
    data = (json.dumps(asdict(line), separators=(",", ":")) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as exc:
        raise StoreError(f"cannot append the audit head to {path}: {exc.strerror}") from exc
    return line


def read_head_log(path: Path, *, store_id: str | None = None) -> list[ExpectedHead]:
    """The heads in a shipped log (those of `store_id` only, when given)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"cannot read head log {path}: {exc}") from exc
    heads = []
    for number, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            head, key, store = str(entry["head"]), entry.get("key"), entry.get("store")
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StoreError(f"{path}:{number}: not an audit head line") from None
        if store_id is None or store == store_id:
            heads.append(ExpectedHead(head, None if key is None else str(key)))
    return heads
