"""Text and JSON content that Hookwire stores or signs: the same rules on every backend.

PostgreSQL's text and jsonb cannot hold NUL (U+0000); UTF-8, and so neither database, cannot
hold an unpaired surrogate (which a JSON request can spell as "\\ud800"); NaN and Infinity
are not JSON, so jsonb and the receivers' parsers refuse them; and content nested hundreds
of levels deep costs deep recursion to copy, store and sign. Such input is refused with
INVALID_INPUT on SQLite too, so a request never works on one backend and fails on another.
"""

from __future__ import annotations

import math

from hookwire.domain.errors import RuleViolation

__all__ = ["MAX_JSON_DEPTH", "check_json", "check_text"]

MAX_JSON_DEPTH = 64


def check_text(value: str, field: str) -> None:
    """Refuse text holding NUL or an unpaired surrogate; `field` names it in the error."""
    problem = _text_problem(value)
    if problem is not None:
        raise RuleViolation(f"{field} {problem}", field)


def check_json(value: object, field: str) -> None:
    """Refuse JSON holding NaN, Infinity, bad text in a key or string, or nesting too deep."""
    pending: list[tuple[object, str, int]] = [(value, field, 0)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, dict | list):
            if depth == MAX_JSON_DEPTH:
                raise RuleViolation(
                    f"{field} nests objects and arrays more than {MAX_JSON_DEPTH} levels deep; "
                    "flatten it",
                    field,
                )
            children = list(item.items()) if isinstance(item, dict) else list(enumerate(item))
            for key, child in children:
                if isinstance(key, str) and (problem := _text_problem(key)) is not None:
                    raise RuleViolation(f"a key in {path} {problem}", field)
                step = f"{path}.{key}" if isinstance(key, str) else f"{path}[{key}]"
                pending.append((child, step, depth + 1))
        elif isinstance(item, str) and (problem := _text_problem(item)) is not None:
            raise RuleViolation(f"{path} {problem}", field)
        elif isinstance(item, float) and not math.isfinite(item):
            raise RuleViolation(
                f"{path} is NaN or infinite, which JSON cannot carry; send a finite number", field
            )


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "holds a NUL character (U+0000), which Hookwire cannot store or send; remove it"
    try:
        text.encode()
    except UnicodeEncodeError:
        return "is not valid text (it holds an unpaired surrogate); send it as proper UTF-8"
    return None
