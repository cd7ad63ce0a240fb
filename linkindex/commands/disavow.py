"""``linkindex disavow``: write a disavow file for Google from the link-quality flags, or import one."""

import sys
import textwrap

from rich.console import Console
from rich.markup import escape

from linkindex.commands.common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, HelpFormatter, add_data, error, examples

HELP = "export a disavow file for Google, or import one so the index marks disavowed links"
DESCRIPTION = textwrap.fill(
    "export: the referring domains of TARGET at or above a risk level (default high), or with any of the "
    "named flags, in Google's disavow format, after the entries of the file imported for TARGET. "
    "import: check a disavow file line by line and keep its valid lines with the data; the next "
    "`linkindex build` marks the backlinks it disavows.",
    79,
)


EXAMPLES = examples(
    "linkindex disavow export example.com --data idx --output disavow.txt",
    "linkindex disavow export example.com --data idx --risk medium --flag sitewide > disavow.txt",
    "linkindex disavow import disavow.txt --target example.com --data idx && linkindex build --data idx",
)


def add_arguments(parser):
    from linkindex.quality import REFERRING_DOMAIN_FLAGS, RISK_LEVELS

    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION", help="export or import")
    export = actions.add_parser(
        "export",
        help="write a disavow file for TARGET",
        description=textwrap.fill(
            "Write Google's disavow file for TARGET: the lines of the file imported for it, then "
            "`domain:` entries for the referring domains chosen, each after a comment with its risk and flags. "
            "Refused, with nothing written, past Google's limits (100,000 lines, 2 MB, URLs of 2,048 characters).",
            79,
        ),
        epilog=examples(
            "linkindex disavow export example.com --data idx --output disavow.txt",
            "linkindex disavow export example.com --data idx --flag reciprocal --flag sitewide",
        ),
        formatter_class=HelpFormatter,
    )
    export.add_argument("target", metavar="TARGET", help="the domain the links point to")
    add_data(export)
    export.add_argument(
        "--risk",
        choices=RISK_LEVELS,
        default=None,
        help="referring domains at this risk or above (default: high, unless --flag is given)",
    )
    export.add_argument(
        "--flag",
        dest="flags",
        action="append",
        default=[],
        choices=sorted(REFERRING_DOMAIN_FLAGS),
        metavar="NAME",
        help=f"also referring domains with this flag (repeatable): {', '.join(sorted(REFERRING_DOMAIN_FLAGS))}",
    )
    export.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    load = actions.add_parser(
        "import",
        help="keep a disavow file with the data for the next build",
        description=textwrap.fill(
            "Check a disavow file line by line (a bad line is reported by number and skipped), keep the "
            "valid lines as DIR/disavow/<domain>.txt, replacing the file imported before, as an upload to Google "
            "does. The next `linkindex build` marks the backlinks it disavows.",
            79,
        ),
        epilog=examples("linkindex disavow import disavow.txt --target example.com --data idx"),
        formatter_class=HelpFormatter,
    )
    load.add_argument("file", metavar="FILE", help="the disavow file (UTF-8 text, as Google reads it)")
    load.add_argument("--target", required=True, metavar="DOMAIN", help="the domain the file is for")
    add_data(load)


def run(args, console: Console) -> int:
    from linkindex.disavow import DisavowError
    from linkindex.index import IndexBuildError

    try:
        if args.action == "import":
            return run_import(args, console)
        return run_export(args, console)
    except (DisavowError, IndexBuildError) as exc:
        error(f"{exc}")
        return EXIT_USAGE


def run_import(args, console: Console) -> int:
    from linkindex.disavow import import_file, limit_problems
    from linkindex.report import normalize_domain

    _, target = normalize_domain(args.target)
    parsed, path = import_file(args.file, target, args.data)
    for number, problem in parsed.problems:
        error(f"{args.file}:{number}: {problem} (line skipped)")
    domains = sum(1 for entry in parsed.entries if entry.kind == "domain")
    console.print(
        f"{escape(str(args.file))}: {domains:,} domains and {len(parsed.entries) - domains:,} URLs disavowed "
        f"for {escape(target)}, kept in {escape(str(path))}"
        + (f"; {len(parsed.problems):,} lines skipped" if parsed.problems else ""),
        soft_wrap=True,
    )
    for problem in limit_problems(parsed.text):
        console.print(f"[yellow]warning:[/] Google would refuse this file: {escape(problem)}", soft_wrap=True)
    console.print("Run `linkindex build` to mark the disavowed backlinks in the index.")
    return EXIT_PARTIAL if parsed.problems else EXIT_OK


def run_export(args, console: Console) -> int:
    from pathlib import Path

    from linkindex.disavow import export_text, limit_problems, read_stored, select_domains, write_text
    from linkindex.index import open_index
    from linkindex.report import normalize_domain

    _, target = normalize_domain(args.target)
    risk = args.risk or (None if args.flags else "high")
    con = open_index(args.data)
    try:
        chosen = select_domains(con, target, risk, args.flags)
    finally:
        con.close()
    criteria = " or ".join(
        ([f"at risk {risk} or above"] if risk else []) + ([f"flagged {', '.join(args.flags)}"] if args.flags else [])
    )
    text, added = export_text(read_stored(args.data, target), target, chosen, criteria)
    problems = limit_problems(text)
    if problems:
        error(f"the disavow file for {target} is past Google's limits, not written: " + "; ".join(problems))
        return EXIT_USAGE
    if args.output:
        write_text(Path(args.output), text)
        console.print(
            f"{added:,} referring domains added; disavow file for {escape(target)} → {escape(args.output)}",
            soft_wrap=True,
        )
    else:
        sys.stdout.write(text)
    return EXIT_OK
