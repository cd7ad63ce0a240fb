"""The SQL models of the index, as ``queries/`` holds them, with what their headers state.

Every model is one SQL file that opens with a header comment::

    -- referring_domains: which domains link to each domain, and how much.
    --
    -- Grain: one row per (target_domain, referring_domain) with at least one backlink.
    -- Key: target_domain, referring_domain
    -- Columns:
    --   target_domain       varchar      registered domain linked to (links.dst_domain)
    --   backlinks           bigint       backlink records (every occurrence on every fetched page)
    --
    -- Free text: rules, choices, units.

The header is the model's contract: the tests check the built table against
it (columns, types, a unique and non-null key), ``linkindex export`` sends it
along with the data, and ``docs/tables.md`` repeats it. Models live in
layers, each reading only the layers before it::

    records (Parquet)  ->  staging/  ->  facts/  ->  tables (queries/*.sql)
"""

from dataclasses import dataclass
from functools import cache
from importlib import resources
import re

#: Layers in the order data flows through them; "tables" are the files at the top of queries/.
LAYERS = ("staging", "facts", "tables")


class ModelError(Exception):
    """A model file is missing or its header does not say what it must."""


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # as the header writes it: varchar, bigint, timestamptz, varchar[] ...
    description: str


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    title: str  # the header's first line, after "name: "
    grain: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    notes: str  # the header's free text after the columns
    sql: str  # the whole file, header included
    #: "table" (computed at build time) or "view" (computed when read), from a
    #: "Materialized: view" header line.
    materialized: str = "table"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)


def _folder(layer: str):
    root = resources.files("queries")
    return root if layer == "tables" else root.joinpath(layer)


def parse_header(name: str, layer: str, sql: str) -> Model:
    """The model that ``sql`` (the text of ``queries/[layer/]name.sql``) states in its header."""
    header = []
    for line in sql.splitlines():
        if not line.startswith("--"):
            break
        header.append(line[2:].removeprefix(" "))
    if not header or not header[0].startswith(f"{name}:"):
        raise ModelError(f"{layer}/{name}.sql must open with '-- {name}: what it is'")
    title = header[0].split(":", 1)[1].strip()
    grain, key, columns, notes, section, materialized = "", (), [], [], None, "table"
    for text in header[1:]:
        if text.startswith("Materialized:"):
            materialized, section = text.split(":", 1)[1].strip(), None
            if materialized not in ("table", "view"):
                raise ModelError(f"{layer}/{name}.sql: Materialized: is table or view, not {materialized!r}")
        elif text.startswith("Grain:"):
            grain, section = text.split(":", 1)[1].strip(), "grain"
        elif text.startswith("Key:"):
            key, section = tuple(k.strip() for k in text.split(":", 1)[1].split(",")), None
        elif text.startswith("Columns:"):
            section = "columns"
        elif section == "columns" and text.startswith("  ") and text.strip():
            parts = text.split(None, 2)
            if len(parts) < 2:
                raise ModelError(f"{layer}/{name}.sql: a column line needs a name and a type: {text!r}")
            columns.append(Column(parts[0], parts[1], parts[2].strip() if len(parts) > 2 else ""))
        elif section == "grain" and text.startswith("  ") and text.strip():
            grain += " " + text.strip()
        else:
            section = "notes" if text.strip() or section == "notes" else None
            if section == "notes":
                notes.append(text)
    if not grain or not key or not columns:
        raise ModelError(f"{layer}/{name}.sql: the header must state Grain:, Key: and Columns:")
    missing = set(key) - {c.name for c in columns}
    if missing:
        raise ModelError(f"{layer}/{name}.sql: key column(s) {', '.join(sorted(missing))} not among the columns")
    return Model(name, layer, title, grain, key, tuple(columns), "\n".join(notes).strip(), sql, materialized)


@cache
def model(name: str, layer: str = "tables") -> Model:
    """The model ``queries/[layer/]name.sql``."""
    if layer not in LAYERS:
        raise ModelError(f"unknown layer {layer!r}: one of {', '.join(LAYERS)}")
    path = _folder(layer).joinpath(f"{name}.sql")
    if not path.is_file():
        raise ModelError(f"no model {layer}/{name}.sql")
    return parse_header(name, layer, path.read_text(encoding="utf-8"))


def model_names(layer: str = "tables") -> list[str]:
    """The models of a layer, by file name (build order is the builder's business)."""
    folder = _folder(layer)
    return sorted(
        re.sub(r"\.sql$", "", entry.name) for entry in folder.iterdir() if entry.name.endswith(".sql")
    )
