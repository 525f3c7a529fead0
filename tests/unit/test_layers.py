"""Layers point one way: every module imports, and no package imports one above it.

A package may import its own modules and packages of lower layers only (imports under
`TYPE_CHECKING` and inside functions count too: they are dependencies all the same). So an
import cycle between packages cannot come back, and the store never learns about the
pipeline, nor the pipeline about the socket.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import lfr

# Lowest first. Packages in one layer may not import each other.
LAYERS: list[set[str]] = [
    {"_native", "errors", "paths"},
    {"imageheader", "jpeg"},
    {"imageio"},
    {"kernel", "assets", "telemetry"},
    {"calibration"},
    {"stream", "inference", "store", "http"},
    {"config", "watchlist"},
    {"pipeline"},
    {"protocol", "devserver", "cluster"},
    {"console"},
    {"client", "daemon"},
    {"demo"},
    {"cli"},
]
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}
ROOT = Path(lfr.__file__).parent


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages([str(ROOT)], prefix="lfr."))


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "lfr":
                found.update(f"lfr.{alias.name}" for alias in node.names)
            elif node.module.startswith("lfr."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("lfr."))
    return found


def test_every_module_imports() -> None:
    modules = _modules()
    assert len(modules) > 50
    for name in modules:
        importlib.import_module(name)


def test_every_package_has_a_layer() -> None:
    packages = {_package(m) for m in _modules()}
    assert packages - set(RANK) == set(), "add new packages to LAYERS"


def test_imports_point_down() -> None:
    wrong: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts)
        source = _package(module)
        if source == "__init__":
            continue
        for target in _imports(path):
            dest = _package(target)
            if dest != source and RANK[dest] >= RANK[source]:
                wrong.append(f"{module} imports {target} ({source} may not use {dest})")
    assert wrong == []
