"""The templates and how values from the index are shown in them.

Autoescaping is on for every template: text from crawled pages (anchor
texts, titles, URLs) is escaped in element content and in attributes alike.
A URL becomes a link only if it is http or https; ``javascript:``, ``data:``
and the rest are shown as text.
"""

from datetime import datetime
from functools import cache
from importlib import resources
import json

import jinja2
from markupsafe import Markup

from linkindex.targets import MODES

#: Characters shown of an anchor text or URL in a table cell (the title attribute holds the whole text).
MAX_LABEL_CHARS = 200
ASSETS = resources.files("linkindex.web").joinpath("static")


def web_url(value) -> bool:
    """Whether ``value`` may be rendered as a clickable link: an http or https URL."""
    if not isinstance(value, str):
        return False
    scheme = value.split(":", 1)[0].strip().lower() if ":" in value else ""
    return scheme in ("http", "https") and value[len(scheme) + 1 :].startswith("//")


def clip(value, limit: int = MAX_LABEL_CHARS) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def percent(value, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}%}"


def when(value, with_time: bool = True) -> str:
    if not isinstance(value, datetime):
        return "" if value is None else str(value)
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def sql_cell(value) -> str:
    """A value from an ad-hoc query, as plain text (null is shown apart, by the template)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (dict, list)):
        return clip(json.dumps(value, ensure_ascii=False, default=str), 500)
    if isinstance(value, bytes):
        return clip(value.hex(), 500)
    return clip(str(value), 500)


def asset_text(name: str) -> str:
    """A file of static/, as text."""
    return ASSETS.joinpath(name).read_text(encoding="utf-8")


def inline_script(name: str) -> Markup:
    """A static script's text, to inline in a <script> element of a standalone page."""
    text = asset_text(name)
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError(f"{name} cannot be inlined in a <script> element")
    return Markup(text)


def json_data(value) -> Markup:
    """``value`` as JSON that is safe inside <script type="application/json">: <, >, & and ' escaped."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escape)
    return Markup(text)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("linkindex.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(clip=clip, number=number, percent=percent, when=when, sql_cell=sql_cell, json_data=json_data)
    env.tests["web_url"] = web_url
    env.globals.update(inline_script=inline_script, asset_text=asset_text, modes=MODES, q_mode="", subject=None)
    return env
