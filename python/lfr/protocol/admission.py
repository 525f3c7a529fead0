"""Connection slots: who may connect while the socket is crowded, or under attack.

Three limits, so that strangers on the network cannot lock out the people who run the daemon:

- `max_clients` bounds every connection together;
- `unix_reserved` of those slots are for Unix clients only (the local operator, `lfr status`):
  TCP connections, authenticated or not, never take them;
- `max_unauthenticated` bounds TCP connections that have not yet presented a valid token.

A TCP client that finds no room evicts the oldest connection still waiting to authenticate,
rather than being refused: a flood of idle or garbage connections then only ever holds a few
slots for a moment each, and a real client, which authenticates at once, gets in (the way a
SYN cache makes room). An authenticated client is never evicted.
"""

from __future__ import annotations

from typing import Protocol


class Evictable(Protocol):
    def evict(self) -> None:
        """Close this connection (it has not authenticated; nothing of it needs saving)."""
        ...


class Admission:
    def __init__(self, *, max_clients: int, unix_reserved: int, max_unauthenticated: int) -> None:
        self.max_clients = max_clients
        self.tcp_limit = max_clients - unix_reserved
        self.max_unauthenticated = max_unauthenticated
        self._unix: set[Evictable] = set()
        self._tcp: set[Evictable] = set()
        self._pending: dict[Evictable, None] = {}  # unauthenticated TCP, oldest first
        self.refused = 0
        self.evicted = 0

    @property
    def unauthenticated(self) -> int:
        return len(self._pending)

    def _total(self) -> int:
        return len(self._unix) + len(self._tcp)

    def admit_unix(self, conn: Evictable) -> bool:
        if self._total() >= self.max_clients and not self._evict_oldest():
            self.refused += 1
            return False
        self._unix.add(conn)
        return True

    def admit_tcp(self, conn: Evictable) -> bool:
        """Admit `conn` as unauthenticated, evicting the oldest unauthenticated one to make
        room; False when every TCP slot is held by an authenticated client."""
        while len(self._pending) >= self.max_unauthenticated or not self._tcp_room():
            if not self._evict_oldest():
                self.refused += 1
                return False
        self._tcp.add(conn)
        self._pending[conn] = None
        return True

    def authenticated(self, conn: Evictable) -> None:
        self._pending.pop(conn, None)

    def release(self, conn: Evictable) -> None:
        self._unix.discard(conn)
        self._tcp.discard(conn)
        self._pending.pop(conn, None)

    def _tcp_room(self) -> bool:
        return len(self._tcp) < self.tcp_limit and self._total() < self.max_clients

    def _evict_oldest(self) -> bool:
        if not self._pending:
            return False
        oldest = next(iter(self._pending))
        self.release(oldest)
        self.evicted += 1
        oldest.evict()
        return True
