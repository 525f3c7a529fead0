"""Detection, alignment, embedding and quality on real photos with the real models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lfr.errors import ConfigError, InputError
from lfr.imageio import load_image
from lfr.inference import Face, FaceAnalyzer, assess_enrolment, largest_face
from lfr.inference.align import TEMPLATE, similarity_transforms, warp_affine
from lfr.inference.detector import Detector, DetectorConfig


def test_two_people_gives_two_faces(analyzer: FaceAnalyzer, two_people: np.ndarray) -> None:
    faces = analyzer.detect(two_people)
    assert len(faces) == 2
    assert faces[0].score >= faces[1].score
    xs = sorted(float(f.bbox[0]) for f in faces)
    assert xs[1] - xs[0] > 300  # two distinct people side by side


@pytest.mark.parametrize(
    "name",
    [
        "obama.jpg",
        "obama2.jpg",
        "obama_small.jpg",
        "obama-240p.jpg",
        "obama-480p.jpg",
        "obama-720p.jpg",
        "obama-1080p.jpg",
    ],
)
def test_each_obama_photo_gives_one_face(analyzer: FaceAnalyzer, examples: Path, name: str) -> None:
    img = load_image(examples / name)
    faces = analyzer.detect(img)
    assert len(faces) == 1
    f = faces[0]
    h, w = img.shape[:2]
    assert 0 <= f.bbox[0] < f.bbox[2] <= w and 0 <= f.bbox[1] < f.bbox[3] <= h
    x1, y1, x2, y2 = f.bbox
    pad = 0.1 * (x2 - x1)
    inside = (
        (f.landmarks[:, 0] > x1 - pad)
        & (f.landmarks[:, 0] < x2 + pad)
        & (f.landmarks[:, 1] > y1 - pad)
        & (f.landmarks[:, 1] < y2 + pad)
    )
    assert inside.all()
    assert f.landmarks[0, 0] < f.landmarks[1, 0]  # right eye appears on the image's left


def test_coordinates_are_in_original_pixels(analyzer: FaceAnalyzer, examples: Path) -> None:
    """The same photo at 480p and 1080p: boxes scale with the image (resize undone)."""
    small = analyzer.detect(load_image(examples / "obama-480p.jpg"))[0]
    big = analyzer.detect(load_image(examples / "obama-1080p.jpg"))[0]
    ratio = 1080 / 480
    assert np.allclose(big.landmarks / ratio, small.landmarks, atol=4.0)


def test_no_face_image(analyzer: FaceAnalyzer, sample_data: Path) -> None:
    img = load_image(
        sample_data / "insightface/python-package/insightface/data/images/mask_white.jpg"
    )
    faces = analyzer.detect(img)
    assert faces == []
    assert analyzer.align(img, faces).shape == (0, 112, 112, 3)
    assert analyzer.templates(img, faces).shape == (0, 128)


def test_group_photo_finds_everyone(analyzer: FaceAnalyzer, sample_data: Path) -> None:
    img = load_image(sample_data / "insightface/python-package/insightface/data/images/t1.jpg")
    assert len(analyzer.detect(img)) == 6


def test_min_face_size_and_det_size_are_applied(analyzer: FaceAnalyzer, sample_data: Path) -> None:
    img = load_image(
        sample_data / "libfacedetection/mobile/Android/FaceDetection/app/src/main/assets/test2.jpg"
    )
    det = Detector(analyzer.detector.session, DetectorConfig(det_size=640, min_face_px=16))
    boxes, _, _ = det.detect_arrays(img)
    assert len(boxes) > 5
    assert (np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]) >= 16).all()
    big_only = Detector(analyzer.detector.session, DetectorConfig(det_size=640, min_face_px=1000))
    assert len(big_only.detect_arrays(img)[0]) == 0


def test_bad_det_size_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="det_size"):
        DetectorConfig(det_size=300)


def test_detect_arrays_contract(analyzer: FaceAnalyzer, two_people: np.ndarray) -> None:
    boxes, scores, lms = analyzer.detector.detect_arrays(two_people)
    assert boxes.dtype == scores.dtype == lms.dtype == np.float32
    assert boxes.shape == (2, 4) and scores.shape == (2,) and lms.shape == (2, 10)
    with pytest.raises(InputError, match="uint8 BGR"):
        analyzer.detector.detect_arrays(two_people.astype(np.float32))
    with pytest.raises(InputError, match="uint8 BGR"):
        analyzer.detector.detect_arrays(two_people[:, :, 0])


def test_umeyama_recovers_a_known_similarity() -> None:
    angle, scale, shift = np.radians(20.0), 2.5, np.array([300.0, 120.0])
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    src = (TEMPLATE @ rot.T) * scale + shift  # a face 2.5x the template, rotated and moved
    m = similarity_transforms(src[None])[0]
    mapped = src @ m[:, :2].T + m[:, 2]
    assert np.allclose(mapped, TEMPLATE, atol=1e-6)


def test_warp_identity_and_border() -> None:
    img = np.random.default_rng(3).integers(0, 256, (200, 300, 3), dtype=np.uint8)
    ident = np.array([[[1.0, 0, -50], [0, 1.0, -40]]])  # crop origin at (50, 40)
    assert np.array_equal(warp_affine(img, ident)[0], img[40:152, 50:162])
    outside = np.array([[[1.0, 0, 1000], [0, 1.0, 1000]]])
    assert (warp_affine(img, outside)[0] == 0).all()


def test_aligned_crop_puts_eyes_on_the_template(analyzer: FaceAnalyzer, obama: np.ndarray) -> None:
    crop = analyzer.align(obama, analyzer.detect(obama))[0]
    again = analyzer.detect(np.ascontiguousarray(np.pad(crop, ((64, 64), (64, 64), (0, 0)))))
    assert len(again) == 1
    assert np.abs(again[0].landmarks[:2] - 64 - TEMPLATE[:2]).max() < 6.0


def test_templates_are_unit_length_and_batch_invariant(
    analyzer: FaceAnalyzer, two_people: np.ndarray, obama: np.ndarray
) -> None:
    crops = np.concatenate(
        [
            analyzer.align(two_people, analyzer.detect(two_people)),
            analyzer.align(obama, analyzer.detect(obama)),
        ]
    )
    batch = analyzer.embed_crops(crops)
    assert batch.shape == (3, analyzer.dim) and batch.dtype == np.float32
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    singles = np.concatenate([analyzer.embed_crops(crops[i : i + 1]) for i in range(3)])
    assert np.allclose(batch, singles, atol=1e-5)
    faces = analyzer.detect(obama)
    assert np.array_equal(
        analyzer.templates(obama, faces), analyzer.embed_crops(analyzer.align(obama, faces))
    )


def test_same_person_matches_and_others_do_not(
    analyzer: FaceAnalyzer, examples: Path, two_people: np.ndarray
) -> None:
    def template(name: str) -> np.ndarray:
        img = load_image(examples / name)
        return analyzer.templates(img, [largest_face(analyzer.detect(img))])[0]

    obama, obama2, biden = template("obama.jpg"), template("obama2.jpg"), template("biden.jpg")
    t = analyzer.default_threshold
    assert obama @ obama2 >= t + 0.1
    assert obama @ biden < t - 0.1
    # two_people.jpg: each face matches its own enrolment photo best (Obama left, Biden right)
    faces = sorted(analyzer.detect(two_people), key=lambda f: float(f.bbox[0]))
    left, right = analyzer.templates(two_people, faces)
    assert left @ obama > left @ biden and right @ biden > right @ obama
    assert left @ obama >= t and right @ biden >= t


def test_embed_rejects_wrong_crops(analyzer: FaceAnalyzer) -> None:
    with pytest.raises(InputError, match="112"):
        analyzer.embed_crops(np.zeros((1, 96, 96, 3), np.uint8))


def test_model_identity(analyzer: FaceAnalyzer) -> None:
    assert (
        analyzer.model_id.startswith("sface-2021dec+")
        and len(analyzer.model_id) == len("sface-2021dec+") + 8
    )
    assert analyzer.default_threshold == pytest.approx(0.363)
    assert analyzer.dim == 128


def test_quality_frontal_sharp_face(analyzer: FaceAnalyzer, obama: np.ndarray) -> None:
    (face,) = analyzer.detect(obama)
    q = face.quality
    assert (
        q.inter_eye_px > 80
        and abs(q.yaw_deg) < 10
        and abs(q.roll_deg) < 10
        and abs(q.pitch_deg) < 15
    )
    assert q.score > 0.8
    assert assess_enrolment(face, analyzer.align(obama, [face])[0]) == []


def test_quality_drops_for_small_and_blurred_faces(
    analyzer: FaceAnalyzer, obama: np.ndarray
) -> None:
    (face,) = analyzer.detect(obama)
    small = obama[::6, ::6].copy()  # ~19 px between the eyes
    (tiny,) = analyzer.detect(small)
    assert tiny.quality.inter_eye_px < 25 and tiny.quality.score < face.quality.score
    reasons = assess_enrolment(tiny, analyzer.align(small, [tiny])[0])
    assert any("too small" in r for r in reasons)
    crop = analyzer.align(obama, [face])[0]
    blurred = crop.astype(np.float32)
    for _ in range(6):  # repeated box blur
        blurred = (
            blurred
            + np.roll(blurred, 1, 0)
            + np.roll(blurred, -1, 0)
            + np.roll(blurred, 1, 1)
            + np.roll(blurred, -1, 1)
        ) / 5
    blurred_crop = blurred.astype(np.uint8)
    assert any("blurred" in r for r in assess_enrolment(face, blurred_crop))


def test_quality_sees_a_turned_head(analyzer: FaceAnalyzer, obama: np.ndarray) -> None:
    (face,) = analyzer.detect(obama)
    lm = face.landmarks.copy()
    half_eye = (lm[1, 0] - lm[0, 0]) / 2
    lm[2, 0] += 0.9 * half_eye  # nose far towards one eye: a head turned ~35+ degrees
    turned = Face(face.bbox, face.score, lm, face.quality)
    reasons = assess_enrolment(turned, analyzer.align(obama, [face])[0])
    assert any("yaw" in r for r in reasons)


def test_largest_face_rule(analyzer: FaceAnalyzer, sample_data: Path) -> None:
    img = load_image(sample_data / "deepface/tests/unit/dataset/img54.jpg")
    faces = analyzer.detect(img)
    assert len(faces) > 1
    assert largest_face(faces) is max(faces, key=lambda f: f.area)
    assert largest_face([]) is None


def test_concurrent_threads_give_identical_results(
    analyzer: FaceAnalyzer, two_people: np.ndarray, obama: np.ndarray
) -> None:
    """The pipeline runs the analyzer from worker threads (ORT and the Rust kernels release
    the GIL): sessions are shared, so results must not depend on interleaving."""
    from concurrent.futures import ThreadPoolExecutor

    def work(img: np.ndarray) -> np.ndarray:
        return analyzer.templates(img, analyzer.detect(img))

    expected = [work(two_people), work(obama)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(work, [two_people, obama] * 4))
    for i, got in enumerate(results):
        assert np.allclose(got, expected[i % 2], atol=1e-6)
