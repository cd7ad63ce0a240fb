"""``python -m bench NAME [options]``: one benchmark, printed as tables with its ratio to a baseline."""

import argparse
import importlib
import os
import sys

from rich.console import Console

from bench import BENCHMARKS
from bench.common import REPO_ROOT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Measure linkindex against a baseline measured in the same run.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    names = parser.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        sub = names.add_parser(name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP))
        module.add_arguments(sub)
        sub.set_defaults(module=module)
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    # Child processes (crawlers, the baseline spider) import from the checkout too.
    paths = [str(REPO_ROOT), os.environ.get("PYTHONPATH")]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    console = Console()
    if not console.is_terminal:
        # Results go to files and notes: tables whole, not squeezed to 80 columns.
        console.width = max(console.width, 160)
    try:
        return args.module.run(args, console)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())
