"""The one back-off: exponential with jitter, for everything that waits before trying again
(a supervisor restarting a crashed actor, a camera reconnecting, an alert waiting for a busy
or full store).

Jitter, because many cameras behind one dead switch must not all reconnect in the same
instant; a ceiling, because a camera that is down for hours must not be hammered, nor left
waiting an hour once it is back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    initial_s: float = 0.5
    maximum_s: float = 10.0
    factor: float = 2.0
    jitter: float = 0.25  # +/- this fraction of the delay

    def __post_init__(self) -> None:
        if not (0 <= self.initial_s <= self.maximum_s) or self.factor < 1:
            raise ValueError(f"backoff: need 0 <= initial_s <= maximum_s and factor >= 1: {self}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"backoff: jitter must be in [0, 1), got {self.jitter}")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait before retry number `attempt` (0 for the first retry)."""
        # The exponent is capped: a camera down for days must not overflow the float.
        base = min(self.maximum_s, self.initial_s * self.factor ** min(max(0, attempt), 64))
        if not self.jitter:
            return base
        spread = (rng or random).uniform(-self.jitter, self.jitter)
        return max(0.0, base * (1.0 + spread))
