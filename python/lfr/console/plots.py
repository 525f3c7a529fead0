"""Server-rendered SVG plots for the transparency report: bars and a histogram, nothing more.

Why by hand: three simple charts do not justify a chart library in the page (no npm, no CDN,
and nothing to vendor); SVG is drawn by the browser, scales, prints, and can be saved with the
report. Every text in a plot is escaped here, so a watchlist or camera name cannot inject
markup into the page.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from xml.sax.saxutils import escape

WIDTH, HEIGHT = 560, 200
PAD_L, PAD_R, PAD_T, PAD_B = 44, 12, 14, 34
COLOURS = {
    "raised": "#d97706",
    "confirmed": "#15803d",
    "false": "#b91c1c",
    "not-engaged": "#64748b",
}


def _frame(body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}" class="plot">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _axis(top: float) -> list[str]:
    """The y axis from 0 to `top`, with a few round ticks."""
    out = []
    plot_h = HEIGHT - PAD_T - PAD_B
    step = _nice_step(top)
    value = 0.0
    while value <= top + 1e-9:
        y = PAD_T + plot_h * (1 - value / top)
        out.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
        value += step
    return out


def _nice_step(top: float) -> float:
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for m in (1, 2, 5, 10):
        if raw <= m * magnitude:
            return float(m * magnitude)
    return float(10 * magnitude)


def bars(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    colours: Sequence[str] | None = None,
    *,
    label_every: int = 1,
) -> str:
    """A bar per value, labelled under the x axis (every `label_every`-th label)."""
    if not values:
        return _frame([_empty()], title)
    top = max([*values, 1])
    top = _nice_step(top) * math.ceil(top / _nice_step(top))
    plot_w, plot_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B
    slot = plot_w / len(values)
    body = _axis(top)
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * value / top
        x = PAD_L + i * slot + slot * 0.12
        colour = colours[i] if colours else "#2563eb"
        body.append(
            f'<rect x="{x:.1f}" y="{PAD_T + plot_h - h:.1f}" width="{slot * 0.76:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}: {value:g}</title></rect>'
        )
        if i % label_every == 0:
            body.append(
                f'<text x="{x + slot * 0.38:.1f}" y="{HEIGHT - PAD_B + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return _frame(body, title)


def histogram(title: str, scores: Sequence[float], threshold: float | None, bins: int = 20) -> str:
    """Scores in `bins` equal bins from the lowest to the highest (or the threshold), with
    the threshold drawn as a line: how far above it the alerts were."""
    if not scores:
        return _frame([_empty()], title)
    lo = min([*scores, threshold if threshold is not None else min(scores)])
    hi = max(scores)
    lo, hi = math.floor(lo * 20) / 20, math.ceil(hi * 20) / 20 + 1e-9
    width = (hi - lo) / bins
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, int((s - lo) / width))] += 1
    labels = [f"{lo + i * width:.2f}" for i in range(bins)]
    svg = bars(title, labels, counts, label_every=4)
    if threshold is None:
        return svg
    x = PAD_L + (WIDTH - PAD_L - PAD_R) * (threshold - lo) / (hi - lo)
    line = (
        f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{PAD_T}" y2="{HEIGHT - PAD_B}" class="threshold"/>'
        f'<text x="{x + 4:.1f}" y="{PAD_T + 10}" class="threshold">threshold {threshold:.3f}</text>'
    )
    return svg.replace("</svg>", line + "</svg>")


def per_hour(
    timestamps: Sequence[float], now: float, hours: int = 24
) -> tuple[list[str], list[int]]:
    """Alerts in each of the last `hours` hours (local time), oldest first."""
    end = (now // 3600 + 1) * 3600
    counts = [0] * hours
    for ts in timestamps:
        slot = int((end - ts) // 3600)
        if 0 <= slot < hours:
            counts[hours - 1 - slot] += 1
    labels = [
        time.strftime("%H:00", time.localtime(end - (hours - i) * 3600)) for i in range(hours)
    ]
    return labels, counts


def verdict_bars(title: str, verdicts: dict[str, int]) -> str:
    names = {
        "raised": "awaiting",
        "confirmed": "confirmed",
        "false": "false",
        "not-engaged": "not engaged",
    }
    keys = list(names)
    return bars(
        title,
        [names[k] for k in keys],
        [verdicts.get(k, 0) for k in keys],
        [COLOURS[k] for k in keys],
    )


def _empty() -> str:
    return (
        f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="empty">'
        "no alerts in this period</text>"
    )
