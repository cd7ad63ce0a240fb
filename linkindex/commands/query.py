"""``linkindex query``: ad-hoc SQL over the link index."""

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error

HELP = "run SQL over the link index"


def add_arguments(parser):
    parser.add_argument("sql")
    add_data(parser)
    parser.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")


def run(args, console: Console) -> int:
    import duckdb

    from linkindex.index import IndexBuildError, query

    try:
        query(args.data, args.sql, fmt=args.format, output=args.output, console=console)
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
    return EXIT_OK
