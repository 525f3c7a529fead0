"""Lists of photos with their identities, as `lfr watchlist add --from-tsv` and
`lfr eval identify` read them.

Tab-separated: columns `path`, `identity` and an optional `group`; further columns are ignored.
A first row whose first field is `path` is a header, and then the columns are taken by name;
without one they are taken by position. Paths are relative to a root folder given apart, so
one list serves wherever the photos are mounted. An identity of `-` marks a photo of nobody
on the list (a non-mated probe); whether that is allowed is the reader's caller to say.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from lfr.errors import InputError

NOBODY = "-"


@dataclass(frozen=True)
class PhotoRow:
    path: Path  # root / rel
    rel: str
    identity: str
    group: str | None
    line: int


def read_photo_list(path: Path, root: Path) -> list[PhotoRow]:
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh, delimiter="\t"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    columns = {"path": 0, "identity": 1, "group": 2}
    start = 0
    if rows and rows[0] and rows[0][0].strip() == "path":
        header = [c.strip() for c in rows[0]]
        if "identity" not in header:
            raise InputError(f"{path}:1: the header names no `identity` column")
        columns = {
            name: header.index(name) for name in ("path", "identity", "group") if name in header
        }
        start = 1
    out = []
    for number, row in enumerate(rows[start:], start=start + 1):
        if not row or all(not f.strip() for f in row):
            continue
        fields = [f.strip() for f in row]
        rel = _field(fields, columns["path"])
        identity = _field(fields, columns["identity"])
        if not rel or not identity:
            raise InputError(f"{path}:{number}: need a path and an identity")
        group = _field(fields, columns["group"]) if "group" in columns else ""
        out.append(PhotoRow(root / rel, rel, identity, group or None, number))
    if not out:
        raise InputError(f"{path}: no photos listed")
    return out


def _field(fields: list[str], index: int) -> str:
    return fields[index] if index < len(fields) else ""
