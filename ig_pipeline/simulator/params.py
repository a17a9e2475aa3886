"""Request parameter parsing: the ``fields`` expansion syntax, lists, times, limits and cursors."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime

from ig_pipeline.simulator.days import day_start
from ig_pipeline.simulator.errors import GraphError, param_error
from ig_pipeline.simulator.metrics import DEFAULT_VERSION, VERSIONS


@dataclass
class Sel:
    name: str
    mods: dict
    sub: list | None


def parse_fields(text: str | None) -> list[Sel] | None:
    if text is None:
        return None
    s, pos = text, 0

    def fail(p):
        raise GraphError(100, f"(#100) Syntax error \"Expected end of string instead of \"{s[p:p + 1]}\".\" at "
                              f"character {p}: {s}" if p < len(s) else f"(#100) Syntax error at character {p}: {s}")

    def ident():
        nonlocal pos
        start = pos
        while pos < len(s) and (s[pos].isalnum() or s[pos] == "_"):
            pos += 1
        return s[start:pos]

    def parse_list(closing):
        nonlocal pos
        items = []
        while True:
            while pos < len(s) and s[pos] in " ,":
                pos += 1
            if pos >= len(s):
                if closing:
                    fail(pos)
                return items
            if s[pos] == closing:
                pos += 1
                return items
            name = ident()
            if not name:
                fail(pos)
            mods = {}
            while pos < len(s) and s[pos] == ".":
                pos += 1
                mod = ident()
                if not mod or pos >= len(s) or s[pos] != "(":
                    fail(pos)
                end = s.find(")", pos)
                if end < 0:
                    fail(pos)
                mods[mod] = s[pos + 1:end]
                pos = end + 1
            sub = None
            if pos < len(s) and s[pos] == "{":
                pos += 1
                sub = parse_list("}")
            items.append(Sel(name, mods, sub))
            if pos < len(s) and s[pos] not in ",}":
                fail(pos)

    return parse_list(None)


def split_list(value: str | None) -> list[str]:
    if value is None:
        return []
    value = value.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1].replace('"', "")
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_time_param(name: str, value: str | None, *, end_of_day: bool = False) -> int | None:
    if value is None or value == "":
        return None
    v = value.strip()
    try:
        if v.lstrip("-").isdigit():
            n = int(v)
            if abs(n) > 10 ** 11:
                raise ValueError
            return n
        if len(v) == 10:
            d = date.fromisoformat(v)
            return day_start(d.toordinal() + (1 if end_of_day else 0))
        dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        return int(dt.timestamp())
    except (ValueError, OverflowError):
        raise param_error(f"The parameter {name} must be a unix timestamp or a date string") from None


def parse_limit(value: str | None, default: int = 25, maximum: int = 100) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except ValueError:
        raise param_error("Param limit must be a positive integer") from None
    if n < 1:
        raise param_error("Param limit must be a positive integer")
    return min(n, maximum)


def encode_cursor(*parts) -> str:
    return base64.urlsafe_b64encode(("QVFI:" + ":".join(map(str, parts))).encode()).decode().rstrip("=")


def decode_cursor(value: str, n: int) -> tuple[int, ...]:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        head, *parts = raw.split(":")
        if head != "QVFI" or len(parts) != n:
            raise ValueError
        return tuple(int(p) for p in parts)
    except (ValueError, UnicodeDecodeError):
        raise param_error("Invalid cursor") from None


def parse_version(segs: list[str]) -> tuple[int | None, list[str], str | None]:
    """(major, remaining segments, bad version string)."""
    if segs and segs[0][:1] == "v" and segs[0][1:2].isdigit():
        raw = segs[0]
        try:
            major, minor = raw[1:].split(".")
            major_i = int(major)
            if minor != "0" or major_i not in VERSIONS:
                raise ValueError
        except ValueError:
            return None, segs[1:], raw
        return major_i, segs[1:], None
    return DEFAULT_VERSION, segs, None
