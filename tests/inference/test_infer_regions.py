"""Detection that follows the faces: regions around the faces found before, cut on the
network's grid at the whole frame's scale, give the faces the whole frame gives; the plan
detects the whole frame every N frames and falls back to it when regions would cost more."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from lfr.errors import ConfigError, InputError
from lfr.inference import FaceAnalyzer
from lfr.inference.regions import GRID, RegionPlan, grow_regions, merge_overlapping


@pytest.fixture(scope="module")
def frame_720p(hamilton_clip: Path) -> np.ndarray:
    """A Hamilton frame (640x360) doubled to 1280x720: shrunk by exactly 2 for detection."""
    with av.open(str(hamilton_clip)) as container:
        small = next(container.decode(video=0)).to_ndarray(format="bgr24")
    return np.ascontiguousarray(small.repeat(2, axis=0).repeat(2, axis=1))


def test_regions_are_grown_snapped_to_the_grid_and_merged() -> None:
    boxes = np.array([[100, 100, 140, 150], [150, 110, 190, 160], [600, 300, 620, 330]], float)
    regions = grow_regions(boxes, (360, 640), margin=0.5, step=2)
    cell = GRID * 2
    assert (regions[:, :2] % cell == 0).all()  # starts on the grid
    assert ((regions[:, 2:] % cell == 0) | (regions[:, 2:] == [640, 360])).all()
    assert len(regions) == 2  # the two neighbours' regions overlapped: one region
    assert regions[0].tolist() == [64, 64, 256, 192]
    assert regions[1].tolist() == [576, 256, 640, 360]  # clipped to the frame
    merged = merge_overlapping(np.array([[0, 0, 10, 10], [20, 0, 30, 10], [5, 5, 25, 8]]))
    assert merged.tolist() == [[0, 0, 30, 10]]  # a bridge joins two regions into one


def test_plan_detects_whole_frames_every_n_and_follows_faces_between() -> None:
    class Step:
        def shrink_step(self, h: int, w: int) -> int:
            return 1

    plan, step = RegionPlan(full_every=3), Step()
    face = np.array([[300, 100, 340, 150]], np.float32)
    kinds = []
    for _ in range(7):
        regions = plan.next((360, 640), step)
        kinds.append("whole" if regions is None else len(regions))
        plan.found(face, whole_frame=regions is None)
    assert kinds == ["whole", 1, 1, "whole", 1, 1, "whole"]
    plan.found(np.zeros((0, 4), np.float32), whole_frame=True)
    empty = plan.next((360, 640), step)
    assert empty is not None and len(empty) == 0  # nothing to follow: nothing searched
    plan.found(np.array([[0, 0, 600, 340]], np.float32), whole_frame=True)
    assert plan.next((360, 640), step) is None  # a region that big: the whole frame
    assert RegionPlan(full_every=1).next((360, 640), step) is None
    with pytest.raises(ConfigError, match="full_frame_every"):
        RegionPlan(full_every=0)


def test_faces_in_regions_match_the_whole_frame(
    analyzer: FaceAnalyzer, frame_720p: np.ndarray
) -> None:
    det = analyzer.detector
    boxes, scores, lms = det.detect_arrays(frame_720p)
    assert len(boxes) >= 2
    regions = grow_regions(boxes, frame_720p.shape[:2], 1.0, det.shrink_step(720, 1280))
    rboxes, rscores, rlms = det.detect_regions(frame_720p, regions)
    for box, score, lm in zip(boxes, scores, lms, strict=True):
        i = int(np.argmin(np.abs(rboxes - box).sum(axis=1)))
        assert np.abs(rboxes[i] - box).max() < 1.0, (box, rboxes[i])
        assert np.abs(rlms[i] - lm).max() < 1.0
        assert rscores[i] == pytest.approx(score, abs=0.01)


def test_a_face_outside_every_region_or_cut_by_one_is_not_reported(
    analyzer: FaceAnalyzer, frame_720p: np.ndarray
) -> None:
    det = analyzer.detector
    boxes, _scores, _lms = det.detect_arrays(frame_720p)
    big = boxes[0]  # the best face; search a region around another one only
    others = grow_regions(boxes[1:2], frame_720p.shape[:2], 1.0, 2)
    found, _, _ = det.detect_regions(frame_720p, others)
    assert len(found) == 0 or not (np.abs(found - big).max(axis=1) < 4).any()
    # A region whose left edge runs through the face: the network still sees a face in the
    # half inside (a truncated box), which is left out.
    edge = int(np.ceil(big[0] / 64 + 1e-6)) * 64  # the first grid line inside the face
    assert big[0] < edge < big[2]
    found, _, _ = det.detect_regions(frame_720p, np.array([[edge, 0, 1280, 720]]))
    overlapping = found[(found[:, 0] < big[2]) & (found[:, 2] > big[0])]
    overlapping = overlapping[(overlapping[:, 1] < big[3]) & (overlapping[:, 3] > big[1])]
    assert len(overlapping) == 0, overlapping


def test_regions_outside_the_frame_are_refused(
    analyzer: FaceAnalyzer, frame_720p: np.ndarray
) -> None:
    with pytest.raises(InputError, match="outside"):
        analyzer.detector.detect_regions(frame_720p, np.array([[0, 0, 1300, 100]]))
    empty = analyzer.detector.detect_regions(frame_720p, np.zeros((0, 4), np.int64))
    assert [a.shape for a in empty] == [(0, 4), (0,), (0, 10)]
