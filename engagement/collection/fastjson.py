"""JSON on the import's hot path: orjson (several times faster than the standard library at both
ends), falling back to the standard library for what orjson refuses but we accept — integers beyond
64 bits (counts saturate later), lone surrogates, NaN — so that the choice never changes a result.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)  # raises the standard library's error, with its message, if really invalid


def dumps(value: Any) -> str:
    """Compact JSON text, non-ASCII kept as is."""
    try:
        return orjson.dumps(value).decode("utf-8")
    except (TypeError, orjson.JSONEncodeError):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
