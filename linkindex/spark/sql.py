r"""The models of ``queries/`` in Spark SQL: the same files, translated by SQLGlot.

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

What SQLGlot passes through as it is, or writes with another meaning, is
rewritten here first, each rule for the forms the models use (anything else
is a TranslationError, never a silent change):

- a function called as a method (``x.rtrim('.')``) becomes the plain call;
- ``regexp_full_match(text, pattern)`` becomes ``text rlike pattern``
  anchored at both ends (``\A(?:pattern)\z``: Java's ``$`` would also match
  before a final line break);
- ``select * from a union all by name select * from b`` (two CTEs naming
  their columns) becomes a plain ``union all`` with the columns in one order;
- ``format()`` (fmt's ``{}``, ``{:d}``, ``{:.Nf}``) becomes ``format_string()``
  with printf's fields, the numbers cast to what printf takes and rounded
  half to even first, as fmt rounds;
- ``len(list)`` becomes ``array_size()`` (in the models, ``len()`` is for
  lists and ``length()`` for text), a slice ``l[a:b]`` ``slice()``,
  ``list_has_all(a, b)`` ``size(array_except(b, a)) = 0``, and
  ``list(x order by x)`` (with or without ``distinct``) a sorted
  ``collect_list`` (``collect_set``);
- the ``range(n)`` table becomes Spark's ``range(0, n)``, and a
  ``materialized`` CTE a plain one.
"""

from dataclasses import dataclass
from functools import lru_cache
import re

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.helper import seq_get


class ModelSQL(DuckDB):
    """DuckDB as the models write it: ``len()`` is the length of a list (``length()`` that of a text),
    which SQLGlot would otherwise read as ``length()`` of either."""

    class Parser(DuckDB.Parser):
        FUNCTIONS = {**DuckDB.Parser.FUNCTIONS, "LEN": lambda args: exp.ArraySize(this=seq_get(args, 0))}


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
            macros[name] = Macro(name, parameters, _plain_calls(body))
    return macros


def _parse(sql: str) -> list[exp.Expression]:
    try:
        return [tree for tree in sqlglot.parse(sql, read=ModelSQL) if tree is not None]
    except sqlglot.errors.SqlglotError as exc:
        raise TranslationError(f"SQLGlot cannot read this DuckDB SQL: {exc}") from exc


def _plain_calls(tree: exp.Expression) -> exp.Expression:
    """DuckDB's method calls (``x.f(a)``) as the plain calls they stand for (``f(x, a)``)."""

    def replace(node):
        if not isinstance(node, exp.Dot) or not isinstance(node.expression, (exp.Anonymous, exp.Func)):
            return node
        call = node.expression.sql(dialect="duckdb")
        name, arguments = call.split("(", 1)
        first = _plain_calls(node.this.copy()).sql(dialect="duckdb")
        text = f"{name}({first}{', ' if arguments.strip() != ')' else ''}{arguments}"
        try:
            return sqlglot.parse_one(text, read="duckdb")
        except sqlglot.errors.SqlglotError as exc:
            raise TranslationError(f"cannot read {node.sql(dialect='duckdb')} as {text}: {exc}") from exc

    return tree.transform(replace)


def _full_matches(tree: exp.Expression) -> exp.Expression:
    """``regexp_full_match(text, pattern)`` as ``text rlike '\\A(?:pattern)\\z'`` (Spark has no full match)."""

    def replace(node):
        if not isinstance(node, exp.RegexpFullMatch):
            return node
        pattern = node.expression
        if isinstance(pattern, exp.Literal) and pattern.is_string:
            anchored = exp.Literal.string(f"\\A(?:{pattern.this})\\z")
        else:
            anchored = exp.DPipe(
                this=exp.DPipe(this=exp.Literal.string("\\A(?:"), expression=pattern.copy()),
                expression=exp.Literal.string(")\\z"),
            )
        return exp.RegexpLike(this=node.this.copy(), expression=anchored)

    return tree.transform(replace)


def _star_columns(select: exp.Expression, ctes: dict[str, exp.Expression]) -> list[str] | None:
    """The columns of ``select * from <cte>``, when the CTE names every column it selects; else None."""
    if not isinstance(select, exp.Select) or not select.is_star or select.args.get("joins"):
        return None
    source = select.args.get("from_") or select.args.get("from")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table) or table.name.lower() not in ctes:
        return None
    names = [projection.alias_or_name for projection in ctes[table.name.lower()].selects]
    if not names or any(not name or name == "*" for name in names):
        return None
    return names


#: fmt's replacement fields as the models use them: {}, {:d}, {:.1f}.
_FORMAT_FIELD = re.compile(r"\{(?::(\.\d+f|d))?\}")


def _printf(pattern: str) -> str:
    """A ``format()`` pattern of DuckDB (fmt: ``{}``, ``{:d}``, ``{:.1f}``) as a Java printf pattern."""
    if re.sub(_FORMAT_FIELD, "", pattern).count("{") or re.sub(_FORMAT_FIELD, "", pattern).count("}"):
        raise TranslationError(f"format pattern {pattern!r}: only {{}}, {{:d}} and {{:.Nf}} are translated")
    parts = _FORMAT_FIELD.split(pattern)
    # split() interleaves text and the fields' specs (None for a bare {}).
    text, specs = parts[0::2], parts[1::2]
    out = text[0].replace("%", "%%")
    for spec, after in zip(specs, text[1:]):
        out += ("%s" if spec is None else f"%{spec}") + after.replace("%", "%%")
    return out


def _format_argument(spec: str | None, argument: exp.Expression) -> exp.Expression:
    """A value for a printf field: ``%d`` takes a whole number (Spark's decimals are not one), ``%.Nf`` a
    double, rounded half to even first as fmt rounds (Java's printf rounds half up)."""
    if spec == "d":
        return exp.cast(argument, "BIGINT")
    if spec is not None:
        digits = exp.Literal.number(int(spec[1:-1]))
        return exp.Anonymous(this="BROUND", expressions=[exp.cast(argument, "DOUBLE"), digits])
    return argument


def _literal_text(node: exp.Expression) -> str | None:
    """The text of a string literal, or of string literals joined with ``||``; else None."""
    if isinstance(node, exp.Literal) and node.is_string:
        return node.this
    if isinstance(node, exp.DPipe):
        left, right = _literal_text(node.this), _literal_text(node.expression)
        return None if left is None or right is None else left + right
    if isinstance(node, exp.Paren):
        return _literal_text(node.this)
    return None


def _functions(tree: exp.Expression) -> exp.Expression:
    """DuckDB functions SQLGlot writes for Spark as they are, or with other meanings, as Spark's:
    ``format()`` (fmt patterns: printf's), list slices ``l[a:b]`` (``slice()``), ``list_has_all``,
    and ``list(x order by x)``, with or without ``distinct`` (sorted ``collect_list``/``collect_set``:
    Spark's ``collect_list`` takes no order)."""

    def replace(node):
        # SQLGlot's name for a parsed format() differs between its versions: Format, FormatString.
        parsed = type(node).__name__ in ("Format", "FormatString")
        if parsed or (isinstance(node, exp.Anonymous) and node.name.lower() == "format"):
            pattern = node.this if parsed else seq_get(node.expressions, 0)
            arguments = node.expressions if parsed else node.expressions[1:]
            text = _literal_text(pattern)
            if text is None:
                raise TranslationError(f"format() with a pattern that is not a literal: {node.sql(dialect='duckdb')}")
            specs = [match.group(1) for match in _FORMAT_FIELD.finditer(text)]
            if len(specs) != len(arguments):
                raise TranslationError(f"format() with {len(specs)} fields and {len(arguments)} values: {text!r}")
            return exp.Anonymous(
                this="FORMAT_STRING",
                expressions=[
                    exp.Literal.string(_printf(text)),
                    *(_format_argument(spec, argument.copy()) for spec, argument in zip(specs, arguments)),
                ],
            )
        if (
            isinstance(node, exp.Table)
            and isinstance(node.this, exp.GenerateSeries)
            and node.this.args.get("is_end_exclusive")
            and not node.this.args.get("step")
        ):
            # DuckDB's range(n) table, n excluded: Spark's range(start, end) table-valued function
            bounds = [node.this.args["start"].copy(), node.this.args["end"].copy()]
            table = exp.Table(this=exp.Anonymous(this="RANGE", expressions=bounds))
            if node.args.get("alias"):
                table.set("alias", node.args["alias"].copy())
            return table
        if isinstance(node, exp.ArraySize):  # null for a null list, as DuckDB's len() (Spark's size() says -1)
            return exp.Anonymous(this="ARRAY_SIZE", expressions=[node.this.copy()])
        if isinstance(node, exp.Bracket) and len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Slice):
            bounds = node.expressions[0]
            start, end = bounds.this, bounds.expression
            if not (isinstance(start, exp.Literal) and isinstance(end, exp.Literal)):
                raise TranslationError(f"a list slice with bounds that are not numbers: {node.sql(dialect='duckdb')}")
            length = int(end.this) - int(start.this) + 1
            return exp.Anonymous(
                this="SLICE", expressions=[node.this.copy(), exp.Literal.number(start.this), exp.Literal.number(length)]
            )
        if isinstance(node, exp.Anonymous) and node.name.lower() == "list_has_all":
            whole, part = node.expressions
            missing = exp.Anonymous(this="ARRAY_EXCEPT", expressions=[part.copy(), whole.copy()])
            return exp.EQ(this=exp.Anonymous(this="SIZE", expressions=[missing]), expression=exp.Literal.number(0))
        aggregate = node.this if isinstance(node, exp.Filter) else node
        if isinstance(aggregate, exp.ArrayAgg) and isinstance(aggregate.this, exp.Order):
            order = aggregate.this
            value, keys = order.this, order.expressions
            distinct = isinstance(value, exp.Distinct)
            element = value.expressions[0] if distinct else value
            if len(keys) != 1 or keys[0].this != element or keys[0].args.get("desc"):
                raise TranslationError(f"list() ordered by anything but its values: {node.sql(dialect='duckdb')}")
            collect = exp.Anonymous(this="COLLECT_SET" if distinct else "COLLECT_LIST", expressions=[element.copy()])
            if isinstance(node, exp.Filter):  # the filter goes with the aggregate, not with the sort
                collect = exp.Filter(this=collect, expression=node.expression.copy())
            return exp.Anonymous(this="ARRAY_SORT", expressions=[collect])
        return node

    # A replaced node is not visited again: repeat for calls within calls.
    for _ in range(10):
        rewritten = tree.transform(replace)
        if rewritten == tree:
            return rewritten
        tree = rewritten
    return tree


def _unions_by_name(tree: exp.Expression) -> exp.Expression:
    """``select * from a union all by name select * from b`` (a and b CTEs naming their columns) as a
    plain ``union all`` of both sides' columns in one order: Spark SQL has no ``by name``."""
    ctes = {cte.alias_or_name.lower(): cte.this for cte in tree.find_all(exp.CTE)}

    def replace(node):
        if not isinstance(node, exp.Union) or not node.args.get("by_name"):
            return node
        left, right = (_star_columns(side, ctes) for side in (node.this, node.expression))
        if left is None or right is None or sorted(left) != sorted(right):
            raise TranslationError(
                "UNION BY NAME is translated for `select * from <cte>` on both sides, the CTEs naming the same "
                f"columns: {node.sql(dialect='duckdb')[:200]}"
            )
        for side in (node.this, node.expression):
            side.set("expressions", [exp.column(name) for name in left])
        node.set("by_name", None)
        return node

    return tree.transform(replace)


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
    tree = _functions(_unions_by_name(_full_matches(_expand(_plain_calls(trees[0]), macros))))
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)  # a hint to DuckDB's planner; Spark plans a CTE read twice its own way
    try:
        return tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.SqlglotError as exc:
        raise TranslationError(f"SQLGlot cannot write this model as Spark SQL: {exc}") from exc


def to_spark(sql: str, macros: tuple[str, ...] | list[str] = ()) -> str:
    """One DuckDB SELECT (a model's SQL, header comment included) as Spark SQL, macros expanded."""
    return _translate(sql, tuple(macros))
