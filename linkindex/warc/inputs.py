"""Command-line arguments -> the local WARC/ARC files they name."""

from collections.abc import Iterator
import glob
import gzip
import os
import re
import zlib

from linkindex.warc.response import WarcReadError

#: Argument names read as listings of paths, one per line, rather than as WARC files.
LISTING_SUFFIXES = (".paths", ".paths.gz", ".txt", ".txt.gz", ".lst")

#: File names picked from a directory given as an argument.
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def expand_inputs(args: list[str]) -> list[str]:
    """Expand globs, directories and listings into a list of WARC/ARC paths.

    * ``*``, ``?`` and ``[`` make an argument a glob (``**`` recurses).
    * A directory stands for the ``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``
      files directly inside it.
    * An argument ending in ``.paths``, ``.paths.gz``, ``.txt``, ``.txt.gz`` or
      ``.lst`` is a listing: one path per line (blank lines and ``#`` comments
      ignored), gzipped or not. Relative paths are resolved against the
      listing's directory, so a Common Crawl ``warc.paths.gz`` works when placed
      at the root of the downloaded ``crawl-data/`` tree.
    * Anything else is a WARC/ARC path.

    The result keeps the order given, without duplicates. Raises WarcReadError
    for missing files, globs matching nothing, and URLs (only local files are read).
    """
    out: list[str] = []
    missing: list[str] = []
    urls: list[str] = []
    for arg in args:
        if _is_url(arg):
            urls.append(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                missing.append(f"{arg} (glob matched nothing)")
            for match in matches:
                if os.path.isfile(match):
                    out.append(match)
        elif os.path.isdir(arg):
            out.extend(
                os.path.join(arg, name)
                for name in sorted(os.listdir(arg))
                if name.endswith(WARC_SUFFIXES) and os.path.isfile(os.path.join(arg, name))
            )
        elif arg.endswith(LISTING_SUFFIXES):
            if not os.path.isfile(arg):
                missing.append(arg)
                continue
            for line in _read_listing(arg):
                if _is_url(line):
                    urls.append(f"{line} (listed in {arg})")
                    continue
                path = line if os.path.isabs(line) else os.path.join(os.path.dirname(arg), line)
                if os.path.isfile(path):
                    out.append(path)
                else:
                    missing.append(f"{path} (listed in {arg})")
        elif os.path.isfile(arg):
            out.append(arg)
        else:
            missing.append(arg)
    if urls:
        raise WarcReadError(
            f"only local files can be read, got {len(urls)} URL(s): {_some(urls)}; "
            "download the files first (e.g. `aws s3 cp` or `curl -O`) and pass their local paths"
        )
    if missing:
        raise WarcReadError(f"{len(missing)} input(s) not found: {_some(missing)}")
    # One task per file, however it was named (./a, a, /abs/a).
    return list({os.path.realpath(path): path for path in reversed(out)}.values())[::-1]


def _is_url(arg: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", arg) is not None


def _some(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown if len(items) <= n else f"{shown} and {len(items) - n} more"


def _read_listing(path: str) -> Iterator[str]:
    try:
        with open(path, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        opener = gzip.open if gzipped else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip()
                if line and not line.startswith("#"):
                    yield line
    except (OSError, EOFError, zlib.error) as exc:
        raise WarcReadError(
            f"cannot read listing {path}: {exc}; a listing is a text file with one path per line"
        ) from exc

