"""``linkindex report TARGET --html FILE``: the overview page as one self-contained HTML file.

Styles, data and the chart code are inline, so the file reads offline, can
be mailed, and prints. It is the one place with inline script: a file
opened from disk has no server to fetch scripts from. A target narrower
than a registered domain (``--mode exact``, ``prefix``, ``subdomains``) is
read as the web interface reads it (``WebIndex.narrowed``): the same tables,
computed for it alone by the same models.
"""

from datetime import datetime, timezone
import os
from pathlib import Path

from linkindex.index import IndexBuildError
from linkindex.targets import Target, TargetError, parse_target
from linkindex.web.db import QueryError, WebIndex
from linkindex.web.overview import TOP, overview
from linkindex.web.render import environment


def render_report(
    data_dir: str | Path, typed: str, top: int = TOP, made_at: datetime | None = None, mode: str | None = None
) -> tuple[Target, str]:
    """(target, HTML) of the one-file report on what the user typed, in ``mode`` (see linkindex.targets)."""
    try:
        target = parse_target(typed, mode)
    except TargetError as exc:
        raise IndexBuildError(str(exc)) from exc
    index = WebIndex(data_dir, time_limit=None)
    try:
        reader = index if target.mode == "domain" else index.narrowed(target)
        data = overview(reader, target.domain, top, target=target)
    except QueryError as exc:
        raise IndexBuildError(f"cannot read the index at {data_dir}: {exc}") from exc
    finally:
        index.close()
    if data is None:
        raise IndexBuildError(
            f"no backlinks to {target.describe()} (mode {target.mode}) in the index at {data_dir}: nothing to report"
        )
    html = environment().get_template("report.html").render(
        data=data,
        subject=None,
        standalone=True,
        active=None,
        q="",
        index_path=str(Path(data_dir) / "index.duckdb"),
        made_at=made_at or datetime.now(timezone.utc),
    )
    return target, html


def write_report(data_dir: str | Path, typed: str, path: str | Path, top: int = TOP, mode: str | None = None) -> Target:
    """Write the report on ``typed`` to ``path`` (through a temporary file); return its target."""
    target, html = render_report(data_dir, typed, top, mode=mode)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return target
