"""The models of ``queries/`` in Spark SQL: the same files, translated by SQLGlot.

The SQL files are written for DuckDB and stay the only copy of each model.
Most of what they use is common ground (window functions, ``FILTER``
clauses, ``SEMI JOIN``, ``GROUPING SETS``); what differs is translated here
by SQLGlot (DuckDB -> Spark): ``::`` casts, ``arg_min``, struct literals,
``regexp_extract``'s default group, backslashes in string literals, and the
order of nulls (DuckDB sorts them last, Spark first: SQLGlot writes ``NULLS
LAST`` where the order would differ).

DuckDB macros have no Spark counterpart, so scalar macros (``create macro
name(a, b) as expression``) are expanded where they are called, with the
arguments in place of the parameters, before translation.
"""

from dataclasses import dataclass
from functools import lru_cache

import sqlglot
from sqlglot import exp


class TranslationError(Exception):
    """A model or macro that SQLGlot cannot read or write as Spark SQL."""


@dataclass(frozen=True)
class Macro:
    name: str
    parameters: tuple[str, ...]
    body: exp.Expression


def parse_macros(*statements: str) -> dict[str, Macro]:
    """The scalar macros defined by DuckDB ``create [or replace] macro`` statements.

    Table macros (``as table select ...``) are left out: they are queried by
    users of the DuckDB index, and no model reads them.
    """
    macros = {}
    for statement in statements:
        for tree in _parse(statement):
            if not isinstance(tree, exp.Create) or str(tree.args.get("kind", "")).upper() != "MACRO":
                continue
            function = tree.this
            body = tree.expression
            if not isinstance(function, exp.UserDefinedFunction) or isinstance(body, (exp.Query, exp.Table)):
                continue
            name = function.this.name.lower()
            parameters = tuple(p.name.lower() for p in function.expressions)
            macros[name] = Macro(name, parameters, body)
    return macros


def _parse(sql: str) -> list[exp.Expression]:
    try:
        return [tree for tree in sqlglot.parse(sql, read="duckdb") if tree is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise TranslationError(f"SQLGlot cannot read this DuckDB SQL: {exc}") from exc


def _expand(tree: exp.Expression, macros: dict[str, Macro]) -> exp.Expression:
    def replace(node):
        if not isinstance(node, exp.Anonymous):
            return node
        macro = macros.get(node.name.lower())
        if macro is None:
            return node
        arguments = node.expressions
        if len(arguments) != len(macro.parameters):
            raise TranslationError(
                f"{macro.name}() takes {len(macro.parameters)} argument(s), called with {len(arguments)}"
            )
        values = dict(zip(macro.parameters, arguments))

        def substitute(inner):
            if isinstance(inner, exp.Column) and not inner.table and inner.name.lower() in values:
                return values[inner.name.lower()].copy()
            return inner

        # A macro may call another macro: expand its body too.
        return exp.paren(_expand(macro.body.copy(), macros).transform(substitute), copy=False)

    for _ in range(10):  # macros calling macros, to a sane depth
        expanded = tree.transform(replace)
        if expanded == tree:
            return expanded
        tree = expanded
    return tree


@lru_cache(maxsize=256)
def _translate(sql: str, macro_statements: tuple[str, ...]) -> str:
    macros = parse_macros(*macro_statements)
    trees = _parse(sql)
    if len(trees) != 1:
        raise TranslationError(f"a model is one SELECT statement, not {len(trees)}")
    tree = _expand(trees[0], macros)
    try:
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        raise TranslationError(f"SQLGlot cannot write this model as Spark SQL: {exc}") from exc


def to_spark(sql: str, macros: tuple[str, ...] | list[str] = ()) -> str:
    """One DuckDB SELECT (a model's SQL, header comment included) as Spark SQL, macros expanded."""
    return _translate(sql, tuple(macros))
