"""Console accounts: `lfr users` (password from stdin or a file, never argv), scrypt hashes
with their parameters, disabled accounts, and an audit record for every change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lfr.store import Store
from lfr.store.users import UserError, UserExists, hash_password, verify_password

SECRET = "a sufficiently long secret"


def users(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lfr.cli.admin", "users", *args, "--home", str(home)],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "LFR_ACTOR": "root-operator"},
        check=False,
    )


def test_users_cli_adds_lists_disables_and_changes_passwords(tmp_path: Path) -> None:
    home = tmp_path / "home"
    added = users(home, "add", "j.smith", "--role", "officer", stdin=SECRET + "\n")
    assert added.returncode == 0, added.stderr
    pw_file = tmp_path / "pw"
    pw_file.write_text("another long secret\n")
    assert (
        users(
            home, "add", "s.gray", "--role", "supervisor", "--password-file", str(pw_file)
        ).returncode
        == 0
    )
    again = users(home, "add", "j.smith", "--role", "auditor", stdin=SECRET + "\n")
    assert again.returncode != 0 and "exists already" in again.stderr
    short = users(home, "add", "x", "--role", "officer", stdin="short\n")
    assert short.returncode != 0 and "10 to 1024 characters" in short.stderr
    listed = json.loads(users(home, "list", "--json").stdout)
    assert [(u["name"], u["role"], u["disabled"]) for u in listed] == [
        ("j.smith", "officer", False),
        ("s.gray", "supervisor", False),
    ]
    assert users(home, "disable", "j.smith").returncode == 0
    assert users(home, "passwd", "s.gray", stdin="a brand new secret\n").returncode == 0
    with Store.open(home) as store:
        assert store.users.authenticate("j.smith", SECRET) is None  # disabled
        assert store.users.authenticate("s.gray", "another long secret") is None
        assert store.users.authenticate("s.gray", "a brand new secret") is not None
        trail = [(r.action, r.actor, r.details) for r in store.audit.records(action_prefix="user.")]
    assert trail == [
        ("user.add", "root-operator", {"user": "j.smith", "role": "officer"}),
        ("user.add", "root-operator", {"user": "s.gray", "role": "supervisor"}),
        ("user.disable", "root-operator", {"user": "j.smith"}),
        ("user.passwd", "root-operator", {"user": "s.gray"}),
    ]
    # No password in the database files, nor in the audit trail.
    for path in home.iterdir():
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data and b"a brand new secret" not in data, path


def test_the_hash_is_scrypt_with_its_parameters_and_verifies_only_the_password() -> None:
    stored = hash_password(SECRET)
    scheme, n, r, p, _salt, _key = stored.split("$")
    assert (scheme, int(n), int(r), int(p)) == ("scrypt", 2**15, 8, 3)
    assert verify_password(SECRET, stored)
    assert not verify_password(SECRET + "x", stored)
    assert not verify_password(SECRET, stored.replace("scrypt", "md5"))
    assert not verify_password(SECRET, "garbage")
    assert hash_password(SECRET) != stored  # salted


def test_bad_names_and_roles_are_refused(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        with pytest.raises(UserError, match="invalid user name"):
            store.users.add("../etc", "officer", SECRET, actor="t")
        with pytest.raises(UserError, match="unknown role"):
            store.users.add("ok", "admin", SECRET, actor="t")
        store.users.add("ok", "auditor", SECRET, actor="t")
        with pytest.raises(UserExists):
            store.users.add("ok", "auditor", SECRET, actor="t")
        assert store.users.authenticate("nobody", SECRET) is None
