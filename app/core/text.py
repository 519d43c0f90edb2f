"""Text from clients: what the database, the drivers and our logs can hold.

A NUL character is refused by PostgreSQL and truncates C strings; a lone surrogate
(JSON ``"\\ud800"``) cannot be encoded as UTF-8 and fails deep inside a driver. Both are
refused where input enters, with a message that never quotes the value.
"""

from __future__ import annotations

NUL = "Text must not contain NUL characters."
SURROGATE = "Text must be valid Unicode (no lone surrogates)."


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored, or None."""
    if "\x00" in value:
        return NUL
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return SURROGATE
    return None


def first_text_problem(data: object) -> str | None:
    """The first problem of any string (keys included) in decoded JSON, or None.

    Iterative, so a deeply nested document cannot exhaust the stack here.
    """
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem is not None:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None
