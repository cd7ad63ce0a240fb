"""The ``linkindex`` command line: one module per command under ``linkindex/commands/``.

    linkindex crawl SEED_URL... --data DIR          crawl seed domains -> Parquet records
    linkindex extract FILE_OR_GLOB... --data DIR    WARC/ARC files -> Parquet records
    linkindex build --data DIR                      Parquet -> DuckDB link index
    linkindex report TARGET --data DIR              backlink profile of a domain, host, prefix or URL
    linkindex query "SQL" --data DIR                ad-hoc SQL over the index
    linkindex crawls --data DIR                     the crawls in the index, in crawl order
    linkindex intersect DOMAIN... --data DIR        referring domains of competitors, not yours
    linkindex disavow export DOMAIN --data DIR      a disavow file for Google from the risk flags
    linkindex disavow import FILE --target DOMAIN   a disavow file kept with the data
    linkindex export --data DIR --to DEST           tables (and records) -> Parquet dataset or PostgreSQL

  On a cluster, through Redis (--redis URL or $REDIS_URL):
    linkindex seed SEED_URL... --redis URL          put seeds, scope and limits into Redis
    linkindex worker --redis URL --data DIR         one crawl worker (start any number)
    linkindex crawl SEED_URL... --redis URL ...     seed, then work
    linkindex status --redis URL                    frontier, in flight, workers, pages/s
    linkindex extract FILE... --redis URL           queue WARC files for extraction workers
    linkindex extract-worker --redis URL --data DIR one extraction worker
"""

import argparse
import importlib
import os
import sys

from rich.console import Console

from linkindex.commands import COMMANDS
from linkindex.commands.common import EXIT_OK, HelpFormatter, examples, interrupted
from linkindex.logs import quiet_dependency_warnings

DESCRIPTION = """\
Build a backlink index of the web and query it with SQL.

Commands in the order of the work: records come from a crawl or from WARC
files, `build` makes the index of them, and the rest read the index."""

def build_parser() -> argparse.ArgumentParser:
    from linkindex import __version__

    parser = argparse.ArgumentParser(
        prog="linkindex",
        description=DESCRIPTION,
        epilog=examples(
            "linkindex crawl https://www.example.com/ --data idx    # or: linkindex extract 'cc/*.warc.gz' --data idx",
            "linkindex build --data idx && linkindex report example.com --data idx",
        )
        + "\n\nRun `linkindex COMMAND --help` for a command's options and examples.",
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"linkindex {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    parser.commands = {}
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        command = commands.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=getattr(module, "EXAMPLES", None),
            formatter_class=HelpFormatter,
        )
        module.add_arguments(command)
        command.set_defaults(run=module.run)
        parser.commands[name] = command
    return parser


def parse(parser: argparse.ArgumentParser, argv) -> argparse.Namespace:
    """Parse ``argv``; a wrong option after a command shows that command's usage, not the main one."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.commands[args.command].error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def main(argv=None) -> int:
    args = parse(build_parser(), argv)
    quiet_dependency_warnings()
    console = Console(stderr=False)
    try:
        return args.run(args, console)
    except KeyboardInterrupt:
        return interrupted("stopped before the end; run the same command again")
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
