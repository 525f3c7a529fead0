"""What each role may do. Checked on the server for every request (a hidden button is not
access control): officers watch and adjudicate; supervisors also manage watchlists and
accounts; auditors read reports and the audit trail, and see no face."""

from __future__ import annotations

import enum


class Permission(enum.Enum):
    LIVE = "watch live alerts"
    ADJUDICATE = "adjudicate alerts"
    ALERTS = "read alerts and their images"
    CAMERAS = "see the cameras"
    WATCHLISTS = "read watchlists"
    FACES = "see enrolled photos"
    MANAGE_WATCHLISTS = "change watchlists"
    MANAGE_USERS = "manage accounts"
    REPORT = "read transparency reports"
    AUDIT = "read the audit trail"


_OFFICER = {
    Permission.LIVE,
    Permission.ADJUDICATE,
    Permission.ALERTS,
    Permission.CAMERAS,
    Permission.WATCHLISTS,
    Permission.FACES,
}
ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "officer": frozenset(_OFFICER),
    "supervisor": frozenset(
        _OFFICER
        | {
            Permission.MANAGE_WATCHLISTS,
            Permission.MANAGE_USERS,
            Permission.REPORT,
            Permission.AUDIT,
        }
    ),
    "auditor": frozenset(
        {Permission.CAMERAS, Permission.WATCHLISTS, Permission.REPORT, Permission.AUDIT}
    ),
}


def allowed(role: str, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
