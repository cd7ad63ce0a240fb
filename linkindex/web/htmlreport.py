"""``linkindex report DOMAIN --html FILE``: the overview page as one self-contained HTML file.

Styles, data and the chart code are inline, so the file reads offline, can
be mailed, and prints. It is the one place with inline script: a file
opened from disk has no server to fetch scripts from.
"""

from datetime import datetime, timezone
import os
from pathlib import Path

from linkindex.index import IndexBuildError
from linkindex.report import normalize_domain
from linkindex.web.db import WebIndex
from linkindex.web.overview import TOP, overview
from linkindex.web.render import environment


def render_report(data_dir: str | Path, domain: str, top: int = TOP, made_at: datetime | None = None) -> tuple[str, str]:
    """(registered domain, HTML) of the one-file report on ``domain``, with ``top`` rows a ranking."""
    _, target = normalize_domain(domain)
    index = WebIndex(data_dir)
    try:
        data = overview(index, target, top)
    finally:
        index.close()
    if data is None:
        raise IndexBuildError(f"no backlinks to {target} in the index at {data_dir}: nothing to report")
    html = environment().get_template("report.html").render(
        data=data,
        domain=target,
        standalone=True,
        active=None,
        q="",
        index_path=str(Path(data_dir) / "index.duckdb"),
        made_at=made_at or datetime.now(timezone.utc),
    )
    return target, html


def write_report(data_dir: str | Path, domain: str, path: str | Path, top: int = TOP) -> str:
    """Write the report on ``domain`` to ``path`` (through a temporary file); return the registered domain."""
    target, html = render_report(data_dir, domain, top)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(html, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return target
