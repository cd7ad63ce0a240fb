"""``linkindex query``: ad-hoc SQL over the link index."""

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error, examples, note

HELP = "run SQL over the link index"
EXAMPLES = examples(
    "linkindex query \"select * from referring_domains where target_domain = 'example.com' limit 20\" --data idx",
    "linkindex query 'select * from inbound_links where dst_status = 404' --data idx --format csv --output broken.csv",
)


def description() -> str:
    import textwrap

    from linkindex.build import FACTS, RECORD_VIEWS, TABLES

    tables = textwrap.fill(f"Tables: {', '.join(TABLES)}.", 79)
    facts = textwrap.fill(f"Facts (pre-aggregates, per crawl): {', '.join(FACTS)}.", 79)
    views = textwrap.fill(f"Views over the records: {', '.join(RECORD_VIEWS)}.", 79)
    return f"""\
Run DuckDB SQL over DIR/index.duckdb (read-only). Several statements, separated
by ';', run in order, and the result of the last one is shown.

{tables}
{facts}
{views}
Their columns and example queries: docs/tables.md (records: docs/schema.md).

A terminal shows the first rows, folds long URLs and shortens other long
text (saying so); a pipe or --output gets every row and value whole."""


def add_arguments(parser):
    # The table names come from the index module, imported only when help is asked for.
    format_help = parser.format_help

    def format_help_with_tables():
        parser.description = description()
        return format_help()

    parser.format_help = format_help_with_tables
    parser.add_argument("sql", metavar="SQL", help="one or more SQL statements; the last one's result is shown")
    add_data(parser)
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json", "parquet"),
        default="table",
        help="table: aligned columns; csv: with a header line; json: one object per line; parquet: needs --output",
    )
    parser.add_argument(
        "--vertical", "-x", action="store_true", help="table format with one field per line (as psql's \\x)"
    )
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")


def run(args, console: Console) -> int:
    import duckdb

    from linkindex.index import IndexBuildError, query

    if args.vertical and args.format != "table":
        error(f"--vertical is a layout of the table format, not of {args.format}")
        return EXIT_USAGE
    try:
        count = query(args.data, args.sql, fmt=args.format, output=args.output, console=console, vertical=args.vertical)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except duckdb.Error as exc:
        error(f"SQL: {exc}")
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except OSError as exc:
        error(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_USAGE
    if args.output:
        note(f"wrote {count:,} {'row' if count == 1 else 'rows'} to {args.output}")
    return EXIT_OK
