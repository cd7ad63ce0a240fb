"""Text from the web on a terminal: made safe, and shortened the same way everywhere.

``query`` and ``report`` show values through ``shorten``: control
characters are removed (a page's text must not drive the terminal), and
text longer than ``MAX_TEXT_CHARS`` is cut with "…", except URLs, which are
never cut: a table folds them over several lines instead. Whatever was cut,
the command says so once (``SHORTENED_NOTE``). Output that is not a terminal
gets every value whole.
"""

import re

#: Characters of a text value (an anchor, a title) shown in a terminal table.
MAX_TEXT_CHARS = 200
SHORTENED_NOTE = "values shortened; use --format csv or --vertical to see them whole"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_URL = re.compile(r"[a-z][a-z0-9+.-]*://\S+$", re.IGNORECASE)


def display_text(value: str, limit: int | None = None) -> str:
    """Text from web pages made safe for a terminal: control characters (escape
    sequences that would recolour, retitle or write to the clipboard) removed,
    and clipped to ``limit`` characters."""
    value = _CONTROL.sub("", value.replace("\t", " ").replace("\n", " "))
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def is_url(value: str) -> bool:
    """Whether a value is a URL (and so is never shortened)."""
    return bool(_URL.match(value))


def shorten(value: str, limit: int = MAX_TEXT_CHARS) -> tuple[str, bool]:
    """``value`` for a terminal table, and whether it was cut (URLs never are)."""
    safe = display_text(value)
    if len(safe) <= limit or is_url(safe):
        return safe, False
    return display_text(safe, limit), True
