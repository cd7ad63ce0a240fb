"""Index tables of any size, filled with made-up rows shaped like the real ones, for tests and benchmarks.

``fill_table(con, "inbound_links", 10_000_000)`` (re)creates the table in a
DuckDB database with the columns and types its model header states
(``linkindex.models``), and rows that look like web data: URLs of about 80
characters on a few thousand domains, anchor texts, link kinds and placements,
statuses, timestamps. The key is unique: its first text column carries the row
number. Deterministic for a given ``seed``.
"""

from linkindex.models import model
from linkindex.schema import LINK_KINDS, PLACEMENTS

_WORDS = (
    "news world sport business culture science health travel food style music film books tech market "
    "review guide story opinion video photo local weather money homes cars jobs events city people life"
).split()
_ANCHORS = ("", "Example", "read more", "home", "click here", "the full story", "pricing", "Example logo", "docs")


def _list(values) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _pick(values, h: str) -> str:
    return f"{_list(values)}[1 + ({h}) % {len(values)}]"


def column_sql(name: str, type_: str, h: str, unique: bool) -> str:
    """An expression for one column, from the row number ``i`` and a per-column hash ``h``."""
    type_ = type_.lower()
    if type_.endswith("[]"):
        return f"[{column_sql(name, type_[:-2], h, False)}]"
    if type_ == "varchar":
        if name == "crawl_id":
            return f"'crawl-' || ({h}) % 4"
        if name == "kind":
            return _pick(LINK_KINDS, h)
        if name == "placement":
            return f"case when ({h}) % 10 = 0 then null else {_pick(PLACEMENTS, h)} end"
        if name == "anchor_text":
            return _pick(_ANCHORS, h)
        if name.endswith("_domain"):
            return f"'site' || ({h}) % 5000 || '.com'"
        if name.endswith("url"):
            words = _pick(_WORDS, f"({h}) // 7")
            tail = "i" if unique else f"({h}) % 1000003"
            return (
                f"'https://www.site' || ({h}) % 5000 || '.com/' || {words} || '/20' || (10 + ({h}) % 16) "
                f"|| '/' || {_pick(_WORDS, f'({h}) // 13')} || '-' || {_pick(_WORDS, f'({h}) // 17')} "
                f"|| '-' || {_pick(_WORDS, f'({h}) // 19')} || '-' || {tail} || '.html'"
            )
        return ("'value-' || i" if unique else f"'value-' || ({h}) % 1000")
    if type_ == "boolean":
        return f"({h}) % 4 = 0"
    if type_ == "smallint":
        if "status" in name:
            return f"[200, 200, 200, 301, 404, 500, null][1 + ({h}) % 7]::smallint"
        return f"(({h}) % 1000)::smallint"
    if type_ in ("integer", "bigint"):
        return f"(({h}) % 1000)::{type_}"
    if type_ == "double":
        return f"(({h}) % 1000) / 1000.0"
    if type_ == "timestamptz":
        return f"timestamptz '2024-01-01 00:00:00+00' + to_seconds((({h}) % 31536000)::bigint)"
    raise ValueError(f"no synthetic values for {name} {type_}")


def fill_table(con, name: str, rows: int, seed: int = 0) -> None:
    """Create table ``name`` on DuckDB connection ``con`` with ``rows`` synthetic rows."""
    described = model(name)
    first_text_key = next(c.name for c in described.columns if c.name in described.key and c.type == "varchar")
    selects = []
    for number, column in enumerate(described.columns):
        h = f"(hash(i, {seed}, {number}) % 1000000007)::bigint"
        expression = column_sql(column.name, column.type, h, unique=column.name == first_text_key)
        selects.append(f'({expression})::{column.type} as "{column.name}"')
    con.execute("set enable_progress_bar = false")
    con.execute(f'create or replace table "{name}" as select {", ".join(selects)} from range({int(rows)}) as r(i)')
