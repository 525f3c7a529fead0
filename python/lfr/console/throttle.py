"""Login throttling: after a few wrong passwords, each further attempt must wait, longer and
longer (1 s, 2 s, 4 s, ... up to 5 minutes), for that account name and for that client.

Why both keys: per name stops guessing one officer's password from many addresses; per client
stops one address trying many names. While a key is waiting every attempt is refused with
429 and `Retry-After`, whether or not the password would have been right, so a guesser
learns nothing during the wait. A success clears the name's and the client's count.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

FREE_FAILURES = 3
FIRST_WAIT_S = 1.0
MAX_WAIT_S = 300.0
FORGET_AFTER_S = 3600.0
MAX_KEYS = 50_000


@dataclass(slots=True)
class _Record:
    failures: int
    last: float
    until: float


class LoginThrottle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._keys: OrderedDict[str, _Record] = OrderedDict()

    def wait_s(self, keys: Iterable[str]) -> float:
        """Seconds before any of `keys` may try again (0: now)."""
        now = self._clock()
        waits = [r.until - now for k in keys if (r := self._keys.get(k)) is not None]
        return max([0.0, *waits])

    def failed(self, keys: Iterable[str]) -> None:
        now = self._clock()
        for key in keys:
            record = self._keys.pop(key, None)
            if record is None or now - record.last > FORGET_AFTER_S:
                record = _Record(0, now, now)
            record.failures += 1
            record.last = now
            extra = record.failures - FREE_FAILURES
            if extra > 0:
                record.until = now + min(MAX_WAIT_S, FIRST_WAIT_S * 2 ** (extra - 1))
            self._keys[key] = record
        while len(self._keys) > MAX_KEYS:
            self._keys.popitem(last=False)

    def succeeded(self, keys: Iterable[str]) -> None:
        for key in keys:
            self._keys.pop(key, None)


def login_keys(name: str, client: str | None) -> tuple[str, str]:
    return (f"name:{name.strip().lower()}", f"client:{client or '-'}")
