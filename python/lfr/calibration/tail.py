"""The upper tail of the different-person score distribution, modelled explicitly.

Why a model at all: the rates a watchlist needs are far below what any set of photos can
count. One false alert in 10,000 passers-by against 1,000 identities asks for about 1e-7 per
comparison, while the 1-2 million different-person pairs of a few thousand photos resolve
1e-6 at best. Extreme-value theory says the excesses of a score over a high level `u` follow a
generalised Pareto distribution (GPD) whatever the body looks like, so the tail above `u` is
fitted with one and the rate below the data's reach is read off the fit: an extrapolation,
which every caller is told about (see `Reference`).

    P(S >= u + y) = p_u * (1 + xi * y / sigma) ** (-1 / xi)      (xi != 0)
                  = p_u * exp(-y / sigma)                       (xi == 0)

Cosine scores are bounded, so xi < 0 (a finite end point u - sigma / xi) is expected.

The fit is maximum likelihood by Grimshaw's reduction to one parameter, theta = xi / sigma:
for a given theta the best xi is the mean of log(1 + theta * y), which leaves a smooth
one-dimensional profile likelihood, maximised here on a grid and refined by golden section.
Pure numpy: no optimiser library is needed for one bounded dimension.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TailModel:
    """A GPD above `u`, which a fraction `p_u` of the scores reached."""

    u: float
    p_u: float
    xi: float
    sigma: float

    def exceedance(self, t: float) -> float:
        """P(S >= t) for t >= u (the model's domain; below it, use the data)."""
        y = max(float(t) - self.u, 0.0)
        if abs(self.xi) < 1e-9:
            return self.p_u * math.exp(-y / self.sigma)
        base = 1.0 + self.xi * y / self.sigma
        if base <= 0.0:
            return 0.0  # beyond the fitted end point
        return self.p_u * base ** (-1.0 / self.xi)

    def quantile(self, p: float) -> float:
        """The score t with P(S >= t) = p, for 0 < p <= p_u."""
        if not 0.0 < p <= self.p_u:
            raise ValueError(f"rate {p} outside (0, {self.p_u}] that the tail model covers")
        r = p / self.p_u
        if abs(self.xi) < 1e-9:
            return self.u - self.sigma * math.log(r)
        return self.u + self.sigma / self.xi * (r ** (-self.xi) - 1.0)

    @property
    def end_point(self) -> float:
        """The highest score the model allows (inf for xi >= 0)."""
        return self.u - self.sigma / self.xi if self.xi < 0 else math.inf

    def as_list(self) -> list[float]:
        return [self.u, self.p_u, self.xi, self.sigma]


def fit_gpd(excesses: np.ndarray) -> tuple[float, float]:
    """(xi, sigma) maximising the GPD likelihood of positive `excesses` (y = score - u)."""
    y = np.asarray(excesses, dtype=np.float64)
    y = y[y > 0]
    if len(y) < 10:
        raise ValueError(f"{len(y)} excesses are too few to fit a tail")
    y_max, mean = float(y.max()), float(y.mean())
    lo = -1.0 / y_max * (1.0 - 1e-6)  # 1 + theta * y must stay positive
    hi = 50.0 / mean
    grid = np.concatenate([np.linspace(lo, -1e-6 / mean, 400), np.geomspace(1e-6 / mean, hi, 200)])
    values = np.array([_profile(t, y) for t in grid])
    i = int(np.nanargmax(values))
    a, b = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    theta = _golden(lambda t: _profile(t, y), float(a), float(b))
    exp_ll = -len(y) * math.log(mean) - len(y)  # the xi = 0 (exponential) limit
    if _profile(theta, y) < exp_ll:
        return 0.0, mean
    xi = float(np.mean(np.log1p(theta * y)))
    return xi, xi / theta


def _profile(theta: float, y: np.ndarray) -> float:
    if theta == 0.0:
        return -math.inf
    logs = np.log1p(theta * y)
    if not np.all(np.isfinite(logs)):
        return -math.inf
    xi = float(logs.mean())
    if xi == 0.0 or xi / theta <= 0.0:
        return -math.inf
    n = len(y)
    return -n * math.log(xi / theta) - n - float(logs.sum())


def _golden(f: object, a: float, b: float, iterations: int = 80) -> float:
    g = (math.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(c), f(d)  # type: ignore[operator]
    for _ in range(iterations):
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(c)  # type: ignore[operator]
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(d)  # type: ignore[operator]
    return (a + b) / 2.0


def fit_tail(scores: np.ndarray, tail_fraction: float) -> TailModel:
    """A GPD over the top `tail_fraction` of `scores` (the threshold u is their lower edge)."""
    s = np.asarray(scores, dtype=np.float64)
    u = float(np.quantile(s, 1.0 - tail_fraction))
    above = s[s > u]
    xi, sigma = fit_gpd(above - u)
    return TailModel(u=u, p_u=len(above) / len(s), xi=xi, sigma=sigma)
