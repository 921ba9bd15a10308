"""Step input hashing, byte-for-byte the TypeScript SDK's (`@tidebase/domain` inputHash).

`sha256:` + hex SHA-256 of the UTF-8 of `JSON.stringify` with object keys sorted at every depth
(by UTF-16 code units, as JavaScript's `sort` orders them). Numbers are written as JavaScript
writes them (`1` for 1.0, `1e-7`, `1e+21`), so a run started from Python resumes from TypeScript
and the other way round.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from typing import Any, List

from .jsonvalue import to_jsonable

_SURROGATE = re.compile("[\ud800-\udfff]")


def input_hash(value: Any) -> str:
    """The hash the server keys a step's checkpoint by; None (no input) hashes like JSON null."""
    return "sha256:" + hashlib.sha256(stable_stringify(value).encode("utf-8")).hexdigest()


def stable_stringify(value: Any) -> str:
    """JSON.stringify of `value` (converted by to_jsonable) with sorted keys, as the TypeScript SDK writes it."""
    out: List[str] = []
    _write(to_jsonable(value, "step input", strict=False), out)
    return "".join(out)


def _write(v: Any, out: List[str]) -> None:
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(js_string(v))
    elif isinstance(v, int):
        out.append(str(v) if -(2**53) < v < 2**53 else js_number(float(v)) if abs(v) < 2**1024 else "null")
    elif isinstance(v, float):
        out.append(js_number(v))
    elif isinstance(v, list):
        out.append("[")
        for i, item in enumerate(v):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        out.append("{")
        for i, key in enumerate(sorted(v, key=_utf16)):
            if i:
                out.append(",")
            out.append(js_string(key))
            out.append(":")
            _write(v[key], out)
        out.append("}")


def _utf16(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def js_string(s: str) -> str:
    """A string literal as JSON.stringify writes it: UTF-8 as is, control characters escaped, lone surrogates as \\uXXXX."""
    text = json.dumps(s, ensure_ascii=False)
    if not _SURROGATE.search(text):
        return text
    # Pairs written as two code points are one character in JavaScript; lone halves are escaped.
    joined = text.encode("utf-16-be", "surrogatepass").decode("utf-16-be", "surrogatepass")
    return _SURROGATE.sub(lambda m: "\\u%04x" % ord(m.group()), joined)


def js_number(x: float) -> str:
    """Number.prototype.toString for a double (ECMAScript Number::toString, radix 10)."""
    if not math.isfinite(x):
        return "null"
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exponent = repr(abs(x)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = whole + fraction
    point = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    point -= len(digits) - len(stripped)
    s = stripped.rstrip("0")
    k, n = len(s), point
    if k <= n <= 21:
        body = s + "0" * (n - k)
    elif 0 < n <= 21:
        body = s[:n] + "." + s[n:]
    elif -6 < n <= 0:
        body = "0." + "0" * (-n) + s
    else:
        e = n - 1
        body = (s if k == 1 else s[0] + "." + s[1:]) + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + body
