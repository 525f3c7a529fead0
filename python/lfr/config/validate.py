"""Strict conversion of parsed TOML into the dataclasses of `lfr.config.schema`.

The dataclass annotations are the schema: a key that no field declares, a value of the wrong
type, or a missing required field is a `ConfigError` naming the full key path (`cameras[1].fps`),
never a silently ignored setting. Deliberately small rather than a general library: TOML only
has a handful of types, and an operator-facing message matters more than generality.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from lfr.config.problem import Problem
from lfr.errors import ConfigError

T = TypeVar("T")
_MISSING = object()


def _join(path: str, key: str) -> str:
    if not path:
        return key
    return f"{path}{key}" if key.startswith("[") else f"{path}.{key}"


def _type_name(tp: Any) -> str:
    names = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        Path: "a path (string)",
    }
    if tp in names:
        return names[tp]
    origin = typing.get_origin(tp)
    if origin is list:
        return "an array"
    if dataclasses.is_dataclass(tp):
        return "a table"
    return str(tp)


def _convert(tp: Any, value: Any, path: str, base_dir: Path | None) -> Any:
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, path, base_dir)
    if origin is list:
        (item_tp,) = typing.get_args(tp)
        if not isinstance(value, list):
            raise ConfigError(f"{path}: expected {_type_name(tp)}, got {_describe(value)}")
        return [_convert(item_tp, v, f"{path}[{i}]", base_dir) for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        return build(tp, value, path, base_dir)  # type: ignore[arg-type]
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{path}: expected an integer, got {_describe(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{path}: expected a number, got {_describe(value)}")
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(f"{path}: expected a finite number, got {value}")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{path}: expected a string, got {_describe(value)}")
        return value
    if tp is Path:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{path}: expected a path (non-empty string), got {_describe(value)}")
        p = Path(value).expanduser()
        return p if p.is_absolute() or base_dir is None else base_dir / p
    raise TypeError(f"unsupported config field type {tp!r} at {path}")  # a schema bug


def _describe(value: Any) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)
    shown = repr(value)
    return f"{kind} ({shown if len(shown) <= 40 else shown[:37] + '...'})"


def build(cls: type[T], data: Any, path: str = "", base_dir: Path | None = None) -> T:
    """Build `cls` from a TOML table, then run its `check`; errors name the key path.

    A class with `OPEN_KEYS_FIELD` takes, besides its fields, the keys its `open_keys()` lists
    (name -> int or float), collected into that field: settings defined elsewhere (the Rust
    tracker's), checked here for name and type all the same."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{path or 'config'}: expected a table, got {_describe(data)}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    open_field = getattr(cls, "OPEN_KEYS_FIELD", None)
    open_keys: dict[str, type] = cls.open_keys() if open_field else {}  # type: ignore[attr-defined]
    if open_field:
        fields.pop(open_field)
    known = [*fields, *open_keys]
    unknown = sorted(set(data) - set(known))
    if unknown:
        key = str(unknown[0])
        close = difflib.get_close_matches(key, known, n=1)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else f"known keys here: {', '.join(sorted(known))}"
        )
        raise ConfigError(f"{_join(path, key)}: unknown key ({hint})")
    kwargs: dict[str, Any] = {}
    if open_field:
        kwargs[open_field] = {
            k: _convert(tp, data[k], _join(path, k), base_dir)
            for k, tp in open_keys.items()
            if k in data
        }
    for name, f in fields.items():
        value = data.get(name, _MISSING)
        if value is _MISSING:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"{_join(path, name)}: required key is missing")
            continue
        kwargs[name] = _convert(hints[name], value, _join(path, name), base_dir)
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        try:
            check()
        except Problem as exc:
            raise ConfigError(f"{_join(path, exc.key)}: {exc.message}") from None
    return obj
