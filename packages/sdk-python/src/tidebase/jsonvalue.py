"""Python values to JSON values (what the wire and the input hash see), and JSON read back with attribute access."""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import enum
import math
import uuid
from pathlib import PurePath
from typing import Any, Dict, List

from .errors import UnserializableError

#: The server refuses bodies nested deeper than 512; a value sits a level or two inside its body.
MAX_DEPTH = 500


class JsonDict(Dict[str, Any]):
    """A JSON object read back from the server: a plain dict whose keys also read as attributes.

    So a replayed step output reads like the object that produced it (`findings.final_output`).
    Keys that are dict methods (`items`, `keys`, ...) still need `value["items"]`.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None


def with_attributes(value: Any) -> Any:
    """A deep copy of a parsed JSON value whose objects are JsonDicts."""
    if isinstance(value, dict):
        return JsonDict((k, with_attributes(v)) for k, v in value.items())
    if isinstance(value, list):
        return [with_attributes(v) for v in value]
    return value


def js_datetime(value: datetime.datetime) -> str:
    """An aware datetime as JavaScript's Date#toJSON writes it (UTC, milliseconds, Z); a naive one as ISO-8601."""
    if value.tzinfo is None:
        return value.isoformat()
    utc = value.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def to_jsonable(value: Any, what: str = "value", strict: bool = True) -> Any:
    """Converts `value` to JSON data (dict, list, str, int, float, bool, None).

    Objects convert by what they offer: `model_dump()` (pydantic), dataclass fields, `to_dict()`,
    `_asdict()`, else their public attributes; datetimes to ISO strings, tuples and sets to lists,
    bytes to base64. A reference back to an enclosing object becomes None. With `strict`, NaN and
    infinities are refused (UnserializableError); otherwise they become None, as JSON.stringify does.
    """
    return _convert(value, "$", 0, [], what, strict)


def _convert(v: Any, path: str, depth: int, ancestors: List[int], what: str, strict: bool) -> Any:
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        if math.isfinite(v):
            return float(v)
        if strict:
            raise UnserializableError(what, path, f"{v}, which JSON stores as null: store a finite number, None or a string")
        return None
    if depth >= MAX_DEPTH:
        raise UnserializableError(what, path, f"nested deeper than {MAX_DEPTH} levels, more than the server takes")
    if id(v) in ancestors:
        return None
    ancestors.append(id(v))
    try:
        return _convert_container(v, path, depth, ancestors, what, strict)
    finally:
        ancestors.pop()


def _convert_container(v: Any, path: str, depth: int, ancestors: List[int], what: str, strict: bool) -> Any:
    def inner(item: Any, key: Any) -> Any:
        sub = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}"
        return _convert(item, sub, depth + 1, ancestors, what, strict)

    if isinstance(v, dict):
        return {_key(k): inner(item, _key(k)) for k, item in v.items()}
    if isinstance(v, (list, tuple)):
        return [inner(item, i) for i, item in enumerate(v)]
    if isinstance(v, (set, frozenset)):
        items = list(v)
        try:
            items.sort()
        except TypeError:
            pass
        return [inner(item, i) for i, item in enumerate(items)]
    simple = _simple(v)
    if simple is not _NOT_SIMPLE:
        return _convert(simple, path, depth, ancestors, what, strict)
    dump = getattr(v, "model_dump", None)
    if callable(dump) and not isinstance(v, type):
        try:
            return inner(dump(mode="json"), "model_dump()")
        except TypeError:
            return inner(dump(), "model_dump()")
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        fields = {f.name: getattr(v, f.name, None) for f in dataclasses.fields(v) if not f.name.startswith("_")}
        return {k: inner(item, k) for k, item in fields.items()}
    for method in ("to_dict", "_asdict", "dict"):
        fn = getattr(v, method, None)
        if callable(fn) and not isinstance(v, type):
            try:
                return inner(fn(), f"{method}()")
            except TypeError:
                continue
    if callable(v) or isinstance(v, type):
        return None
    attributes = getattr(v, "__dict__", None)
    if isinstance(attributes, dict):
        public = {k: item for k, item in attributes.items() if not k.startswith("_") and not callable(item)}
        return {k: inner(item, k) for k, item in public.items()}
    return str(v)


_NOT_SIMPLE = object()


def _simple(v: Any) -> Any:
    if isinstance(v, enum.Enum):
        return v.value if isinstance(v.value, (str, int, float, bool)) or v.value is None else v.name
    if isinstance(v, datetime.datetime):
        return js_datetime(v)
    if isinstance(v, (datetime.date, datetime.time)):
        return v.isoformat()
    if isinstance(v, datetime.timedelta):
        return v.total_seconds()
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    if isinstance(v, (uuid.UUID, PurePath)):
        return str(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    return _NOT_SIMPLE


def _key(k: Any) -> str:
    if isinstance(k, str):
        return k
    if isinstance(k, bool) or k is None:
        return "true" if k is True else "false" if k is False else "null"
    if isinstance(k, enum.Enum):
        return str(k.value)
    return str(k)


def error_json(error: BaseException) -> Dict[str, Any]:
    """How an exception is stored on a step or run: JSON the Studio can show."""
    out: Dict[str, Any] = {"name": type(error).__name__, "message": str(error)}
    code = getattr(error, "code", None)
    if isinstance(code, str):
        out["code"] = code
    return out
