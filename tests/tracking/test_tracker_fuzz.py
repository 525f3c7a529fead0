"""Whatever Python hands the tracker binding (any shape, dtype, layout, value), the answer is a
result or a ValueError/TypeError, never a panic (`PanicException` is a BaseException, so it
would escape the `except` below and fail the test)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lfr._native import Gallery, Tracker

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=32)
DTYPES = st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_])


def arrays(max_dims: int = 3) -> st.SearchStrategy[Any]:
    shapes = hnp.array_shapes(min_dims=0, max_dims=max_dims, min_side=0, max_side=6)
    plain = DTYPES.flatmap(lambda dt: hnp.arrays(dt, shapes))
    fortran = hnp.arrays(np.float32, shapes, elements=FLOATS).map(np.asfortranarray)
    rows = hnp.array_shapes(min_dims=1, max_dims=max_dims, min_side=0, max_side=6)
    strided = hnp.arrays(np.float32, rows, elements=FLOATS).map(lambda a: a[::-1])
    return st.one_of(plain, fortran, strided, st.lists(FLOATS, max_size=8), st.none(), st.text())


def _call(fn: Any, *args: Any) -> None:
    try:
        with np.errstate(all="ignore"):  # numpy's own casts of wild values
            fn(*args)
    except (ValueError, TypeError):
        pass


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ts=FLOATS, boxes=arrays(), scores=arrays(), landmarks=arrays(), templates=arrays())
def test_update_never_panics(
    ts: float, boxes: Any, scores: Any, landmarks: Any, templates: Any
) -> None:
    t = Tracker(n_init=1)
    _call(t.update, float(ts), boxes, scores, landmarks, templates)
    ids, _ = t.update(1e9, np.array([[0, 0, 9, 9]], np.float32), [0.9], np.zeros((1, 10)))
    assert ids.shape == (1,), "still usable"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ts=FLOATS,
    track_ids=arrays(2),
    templates=arrays(),
    weights=arrays(2),
    threshold=FLOATS,
    dim=st.sampled_from([1, 4]),
)
def test_observe_never_panics(
    ts: float, track_ids: Any, templates: Any, weights: Any, threshold: float, dim: int
) -> None:
    t = Tracker(n_init=1, min_templates=1)
    t.update(
        0.0, np.array([[0, 0, 9, 9], [50, 0, 59, 9]], np.float32), [0.9, 0.9], np.zeros((2, 10))
    )
    g = Gallery(dim)
    g.add(["a", "b"], np.eye(2, dim, dtype=np.float32) + 0.01)
    _call(t.observe, float(ts), track_ids, templates, weights, g, float(threshold))
    _call(t.observe, 0.0, [1, 2], np.ones((2, dim), np.float32), [0.5, 0.5], g, 0.1)
