"""The schema as an ordered list of migrations; `PRAGMA user_version` records the last applied.

Append a new (version, statements) entry for every change; never edit an applied one, since
deployed databases have already run it. Each migration runs in one transaction.

What is deliberately absent: there is no table for faces that matched nobody. `runs` holds
only counters (faces seen, passers-by, templates computed and discarded), never a template or
an image.
"""

from __future__ import annotations

_V1 = (
    """CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE watchlists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        purpose TEXT NOT NULL DEFAULT '',
        authorised_by TEXT NOT NULL DEFAULT '',
        legal_basis TEXT NOT NULL DEFAULT '',
        threshold REAL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        expires_at REAL,
        content_hash TEXT NOT NULL
    )""",
    """CREATE TABLE identities (
        id INTEGER PRIMARY KEY,
        watchlist_id INTEGER NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
        identity_id TEXT NOT NULL,
        label TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        created_at REAL NOT NULL,
        UNIQUE (watchlist_id, identity_id)
    )""",
    """CREATE TABLE templates (
        id INTEGER PRIMARY KEY,
        identity_pk INTEGER NOT NULL REFERENCES identities(id) ON DELETE CASCADE,
        model_id TEXT NOT NULL,
        vector BLOB NOT NULL,
        source_sha256 TEXT NOT NULL,
        quality REAL,
        thumbnail_jpeg BLOB,
        created_at REAL NOT NULL
    )""",
    "CREATE INDEX templates_identity ON templates(identity_pk)",
    """CREATE TABLE alerts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        alert_id TEXT NOT NULL UNIQUE,
        run_id TEXT,
        camera TEXT NOT NULL,
        ts REAL NOT NULL,
        watchlist TEXT NOT NULL,
        watchlist_hash TEXT NOT NULL,
        identity TEXT NOT NULL,
        score REAL NOT NULL,
        threshold REAL NOT NULL,
        track_id INTEGER NOT NULL,
        latency_ms REAL,
        status TEXT NOT NULL DEFAULT 'raised'
            CHECK (status IN ('raised', 'confirmed', 'false', 'not-engaged')),
        adjudicated_by TEXT,
        adjudicated_at REAL,
        note TEXT,
        recorded_at REAL NOT NULL
    )""",
    "CREATE INDEX alerts_ts ON alerts(ts)",
    "CREATE INDEX alerts_watchlist ON alerts(watchlist, ts)",
    """CREATE TABLE alert_crops (
        seq INTEGER PRIMARY KEY REFERENCES alerts(seq) ON DELETE CASCADE,
        jpeg BLOB NOT NULL
    )""",
    """CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        action TEXT NOT NULL,
        actor TEXT NOT NULL,
        details TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    # The head lets `verify` notice records cut from the end of the chain, which the chain
    # alone cannot show. Someone with write access can still rewrite both: anchor the head
    # hash (`lfr audit verify` prints it) somewhere they cannot reach.
    """CREATE TABLE audit_head (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL
    )""",
    """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
    """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END""",
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        started_at REAL NOT NULL,
        finished_at REAL,
        config_hash TEXT NOT NULL,
        cameras TEXT NOT NULL,
        faces_seen INTEGER NOT NULL DEFAULT 0,
        templates_computed INTEGER NOT NULL DEFAULT 0,
        templates_discarded INTEGER NOT NULL DEFAULT 0,
        frames INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE run_watchlists (
        run_id TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
        watchlist TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        PRIMARY KEY (run_id, watchlist)
    )""",
    "INSERT INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))))",
    "INSERT INTO meta (key, value) VALUES ('created_at', CAST(unixepoch() AS TEXT))",
)

# Each watchlist's target false-alert rate per passer-by, from which its threshold follows
# its size (lfr.calibration); existing watchlists get the default, 1 in 10,000. And a run's
# passers-by (tracks), the unit that rate is counted in, for the report.
_V2 = (
    "ALTER TABLE watchlists ADD COLUMN target_fpir REAL NOT NULL DEFAULT 0.0001",
    "ALTER TABLE runs ADD COLUMN passers_by INTEGER NOT NULL DEFAULT 0",
)

# An alert is raised once per track; when the track's evidence later favours another identity
# the same alert (same alert_id) is revised: `revision` counts the changes, and the identity it
# named before the latest one is kept for the officer (every change is in the audit trail).
_V3 = (
    "ALTER TABLE alerts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0 CHECK (revision >= 0)",
    "ALTER TABLE alerts ADD COLUMN previous_identity TEXT",
    "ALTER TABLE alerts ADD COLUMN revised_at REAL",
)

# The append-only guard on audit records, as created in version 1; re-sealing the trail under
# a new key lifts it for its own updates and puts this back.
AUDIT_NO_UPDATE_TRIGGER = """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END"""

# Who acted on whose behalf (an operator's account recording an officer's verdict), and a
# marker on a trail written before records were sealed with the audit key: the first process
# holding the key re-seals it and records that it did (`lfr.store.audit_seal`).
_V4 = (
    "ALTER TABLE audit ADD COLUMN on_behalf_of TEXT",
    "INSERT INTO meta (key, value) SELECT 'audit_seal', 'sha256' WHERE EXISTS (SELECT 1 FROM audit)",
)

# Console accounts (lfr.store.users): a role each, a scrypt hash with its parameters, never a
# password. Sessions are not stored: they live in the daemon's memory and end with it.
_V8 = (
    """CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        role TEXT NOT NULL CHECK (role IN ('officer', 'supervisor', 'auditor')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        password_changed_at REAL NOT NULL
    )""",
)

# Many sites, one control room (lfr.cluster): each alert names the site that raised it (NULL:
# this daemon, stand-alone), and `cluster_marks` holds the cluster link's positions, each
# moved in the same transaction as what it marks: how far this edge's alerts were acked by
# JetStream (the store is the outbox: everything past the mark is unsent, in seq order), how
# far the hub's verdicts were sent back, and the last hub verdict an edge applied.
_V9 = (
    "ALTER TABLE alerts ADD COLUMN site TEXT",
    """CREATE TABLE cluster_marks (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL CHECK (value >= 0)
    )""",
)

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, _V1),
    (2, _V2),
    (3, _V3),
    (4, _V4),
    (8, _V8),
    (9, _V9),
)

SCHEMA_VERSION = MIGRATIONS[-1][0]
