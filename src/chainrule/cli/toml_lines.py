"""Find the line of a key in TOML text, so schema errors can say where the bad key is.

``tomllib`` reports line numbers only for syntax errors; for a value that parses but is wrong (a
negative ``epochs``, an unknown layer) the CLI calls :func:`find_line` with the key's path, e.g.
``("model", "layers", 1, "units")``. The scan understands table headers (``[a.b]``), arrays of
tables (``[[callbacks]]``), ``key = value`` lines, dotted keys and arrays of inline tables; it skips
strings and comments. It is a locator for messages, not a parser: when unsure it returns the closest
enclosing line it found, or None.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_\-.\"' ]+?)\s*\]\]?\s*(#.*)?$")


def _strip_comment(line: str) -> str:
    """The line without a trailing comment (``#`` outside strings)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _header_key(name: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in name.split("."))


def _sections(lines: list[str]) -> list[tuple[tuple, int, int]]:
    """(path, first_line_index, end_line_index) per table; the root table has path ()."""
    out, counts = [], {}
    start, path = 0, ()
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m:
            out.append((path, start, i))
            key = _header_key(m.group(2))
            if m.group(1) == "[[":
                n = counts.get(key, 0)
                counts[key] = n + 1
                path = key + (n,)
            else:
                path = key
            start = i
    out.append((path, start, len(lines)))
    return out


def _key_line(lines: list[str], lo: int, hi: int, key: str) -> int | None:
    pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*[=.]")
    for i in range(lo, hi):
        if pattern.match(_strip_comment(lines[i])):
            return i
    return None


def _nth_inline_table(lines: list[str], start: int, hi: int, n: int) -> int | None:
    """Line of the n-th ``{`` at depth 1 of the array whose key sits on line ``start``."""
    depth, seen, quote = 0, 0, None
    first = lines[start].find("=") + 1
    for i in range(start, hi):
        text = _strip_comment(lines[i])
        for ch in text[first if i == start else 0 :]:
            if quote:
                if ch == quote:
                    quote = None
                continue
            if ch in "\"'":
                quote = ch
            elif ch in "[{":
                if ch == "{" and depth == 1:
                    if seen == n:
                        return i
                    seen += 1
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth == 0:
                    return None
    return None


def find_line(text: str, path: tuple) -> int | None:
    """1-based line where the key at ``path`` (or its nearest located ancestor) is written."""
    lines = text.splitlines()
    best = None
    sections = _sections(lines)
    # The deepest table header that is a prefix of the path.
    chosen = max((s for s in sections if tuple(path[: len(s[0])]) == s[0]), key=lambda s: len(s[0]))
    spath, lo, hi = chosen
    if spath:
        best = lo
    rest = list(path[len(spath) :])
    line = None
    while rest:
        key = rest.pop(0)
        if isinstance(key, int):
            if line is None:
                break
            found = _nth_inline_table(lines, line, hi, key)
            if found is None:
                break
            line = lo = found
            best = found
            continue
        found = _key_line(lines, lo, hi, str(key))
        if found is None:
            # Inline tables: the key may follow a comma or a brace on the same line.
            pattern = re.compile(r"[{,]\s*[\"']?" + re.escape(str(key)) + r"[\"']?\s*=")
            start = line if line is not None else lo
            for i in range(start, hi):
                if pattern.search(_strip_comment(lines[i])):
                    found = i
                    break
                if line is not None and i > start and "}" in lines[i - 1]:
                    break
        if found is None:
            break
        line = lo = found
        best = found
    return None if best is None else best + 1
