"""Disavow files: Google's format, read line by line, kept with the data, written back within Google's limits.

The format (Search Console's "Disavow links" tool): a UTF-8 (or 7-bit ASCII)
text file with one entry a line:

    # a comment: Google ignores lines starting with #
    domain:spam.example        every link from spam.example and its subdomains
    https://blog.example/post  the links of this one page

Google reads at most 100,000 lines (blank and comment lines included) and
2 MB, and URLs of at most 2,048 characters; it ignores a file past them.

``import_file`` checks every line, keeps the good ones (comments included,
as written) in ``DIR/disavow/<target domain>.txt`` and reports the others
by line number. ``linkindex build`` reads those files
(``load_entries``), so the index marks the disavowed backlinks. An upload
replaces the site's previous file, so ``export`` starts from the imported
file and adds the new entries after it: what it writes can be uploaded as
is, and importing it and exporting again gives the same file.
"""

from dataclasses import dataclass, field
import os
from pathlib import Path
import re

import ada_url

from crawler.urls import host_domain, parse_web_url

#: Google's limits: lines (blank and comment lines count), bytes, characters of one URL.
MAX_LINES = 100_000
#: "2MB": read as 2,000,000 bytes, the smaller of its two readings, so a file
#: written here is never over Google's limit.
MAX_BYTES = 2_000_000
MAX_URL_CHARS = 2_048
#: The folder of a data directory that holds the imported files, one per target domain.
FOLDER = "disavow"
DOMAIN_PREFIX = "domain:"


class DisavowError(Exception):
    """A disavow file cannot be read, kept or written; the message says why."""


@dataclass(frozen=True)
class Entry:
    """One disavowed domain or page: ``kind`` is ``domain`` (``value`` a host) or ``url`` (``value`` a URL)."""

    kind: str
    value: str  # normalised: a lowercase punycode host, or a WHATWG-serialized URL without fragment
    line: int  # 1-based line number in its file

    @property
    def domain(self) -> str:
        """The registered domain the entry falls under (the linking pages' ``src_domain``)."""
        host = self.value if self.kind == "domain" else parse_web_url(self.value)[1]
        return host_domain(host)


@dataclass
class DisavowFile:
    """A disavow file read line by line: what it disavows, and the lines that are not valid."""

    lines: list[str] = field(default_factory=list)  # every valid line, as written, in order
    entries: list[Entry] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)  # (line number, why)

    @property
    def text(self) -> str:
        """The valid lines as a file."""
        return "".join(f"{line}\n" for line in self.lines)

    def covers(self, domain: str) -> bool:
        """Whether a ``domain:`` entry already disavows the whole registered domain ``domain``."""
        return any(entry.kind == "domain" and entry.value == domain for entry in self.entries)


#: A host name already as a browser serializes it (lowercase ASCII labels): no parsing needed.
_PLAIN_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")


def _host(text: str) -> str | None:
    """``text`` as a lowercase punycode host, or None if it is not a plain host name."""
    if _PLAIN_HOST.fullmatch(text) and not text.startswith("xn--") and "xn--" not in text:
        return text
    if not text or any(c in text for c in "/:?#@*[] \t\\"):
        return None
    try:
        url = ada_url.URL(f"http://{text}/")
    except ValueError:
        return None
    host = url.hostname.rstrip(".")
    return host or None


def parse_line(line: str) -> tuple[Entry | None, str | None]:
    """(entry, None) for a domain or URL line, (None, None) for a comment or blank line, (None, why) else."""
    text = line.strip()
    if not text or text.startswith("#"):
        return None, None
    if text[: len(DOMAIN_PREFIX)].lower() == DOMAIN_PREFIX:
        if not text.startswith(DOMAIN_PREFIX):
            return None, f"write the prefix in lowercase: {DOMAIN_PREFIX}{text[len(DOMAIN_PREFIX) :]}"
        host = _host(text[len(DOMAIN_PREFIX) :].strip())
        if host is None:
            return None, "domain: must be followed by a domain name alone (domain:example.com), no scheme or path"
        return Entry("domain", host, 0), None
    if "://" not in text:
        return None, "not a URL or a domain: line (write domain:example.com for a whole site, or a full URL)"
    if len(text) > MAX_URL_CHARS:
        return None, f"URL longer than Google's limit of {MAX_URL_CHARS:,} characters ({len(text):,})"
    parsed = parse_web_url(text)
    if parsed is None:
        return None, "not a valid http(s) URL"
    return Entry("url", parsed[0], 0), None


def parse(data: bytes) -> DisavowFile:
    """Read a disavow file's bytes line by line; a line that is not valid is reported, the rest kept."""
    result = DisavowFile()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()  # the newline ending the last line
    for number, raw in enumerate(raw_lines, start=1):
        raw = raw.removesuffix(b"\r")
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            result.problems.append((number, "not UTF-8 text (Google reads UTF-8 or 7-bit ASCII)"))
            continue
        entry, problem = parse_line(line)
        if problem is not None:
            result.problems.append((number, problem))
            continue
        result.lines.append(line.rstrip())
        if entry is not None:
            result.entries.append(Entry(entry.kind, entry.value, number))
    return result


def limit_problems(text: str) -> list[str]:
    """What in ``text`` (a whole file) is past Google's limits; empty when it is within them."""
    problems = []
    lines = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    if lines > MAX_LINES:
        problems.append(f"{lines:,} lines, over Google's limit of {MAX_LINES:,} (comment and blank lines count)")
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        problems.append(f"{size:,} bytes, over Google's limit of 2 MB ({MAX_BYTES:,} bytes)")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#") and len(line.strip()) > MAX_URL_CHARS:
            problems.append(f"line {number}: URL longer than Google's limit of {MAX_URL_CHARS:,} characters")
    return problems


def stored_path(data_dir: str | Path, target: str) -> Path:
    """Where the imported disavow file of the registered domain ``target`` is kept."""
    return Path(data_dir) / FOLDER / f"{target}.txt"


def _local(data_dir: str | Path) -> Path:
    if "://" in str(data_dir) and not str(data_dir).startswith("file://"):
        raise DisavowError(f"disavow files are kept in a local data directory, not {str(data_dir).split('?')[0]}")
    return Path(str(data_dir).removeprefix("file://"))


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary name, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def read_stored(data_dir: str | Path, target: str) -> DisavowFile:
    """The imported disavow file of ``target``, or an empty one."""
    path = stored_path(_local(data_dir), target)
    try:
        return parse(path.read_bytes())
    except FileNotFoundError:
        return DisavowFile()
    except OSError as exc:
        raise DisavowError(f"cannot read {path}: {exc.strerror or exc}") from exc


def import_file(source: str | Path, target: str, data_dir: str | Path) -> tuple[DisavowFile, Path]:
    """Keep the valid lines of the disavow file ``source`` as the file of ``target`` in ``data_dir``.

    Replaces the file imported before for that target, as an upload to
    Google replaces the site's previous file. Returns what was read and
    where it is kept.
    """
    path = stored_path(_local(data_dir), target)
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise DisavowError(f"cannot read {source}: {exc.strerror or exc}") from exc
    parsed = parse(data)
    write_text(path, parsed.text)
    return parsed, path


def stored_files(data_dir: str | Path) -> list[tuple[str, Path]]:
    """(target domain, path) of every imported disavow file of a data directory."""
    folder = _local(data_dir) / FOLDER
    if not folder.is_dir():
        return []
    return sorted((path.stem, path) for path in folder.glob("*.txt"))


#: The rows ``load_entries`` gives the build, one per entry line of every imported file.
ENTRY_COLUMNS = ("target_domain", "entry_kind", "entry", "entry_domain", "line")


def entries_table(files):
    """The entries of imported disavow files as an Arrow table of ``ENTRY_COLUMNS``, one row per entry line.

    ``files``: (target domain, file bytes) pairs. Columns: ``target_domain``
    (the file's target), ``entry_kind`` (``domain`` or ``url``), ``entry``
    (normalised host or URL), ``entry_domain`` (its registered domain),
    ``line``. Lines that are not valid are skipped, as at import.
    """
    import pyarrow as pa

    rows = {column: [] for column in ENTRY_COLUMNS}
    for target, data in files:
        for entry in parse(data).entries:
            for column, value in zip(ENTRY_COLUMNS, (target, entry.kind, entry.value, entry.domain, entry.line)):
                rows[column].append(value)
    schema = pa.schema([(c, pa.int32() if c == "line" else pa.string()) for c in ENTRY_COLUMNS])
    return pa.table(rows, schema=schema)


def load_entries(con, data_dir: str | Path, table: str = "_disavow_lines") -> int:
    """Read every imported disavow file of ``data_dir`` into the temporary table ``table`` (the columns of
    ``entries_table``); return its rows."""
    entries = entries_table((target, path.read_bytes()) for target, path in stored_files(data_dir))
    con.register("_disavow_arrow", entries)
    try:
        con.execute(f"create or replace temp table {table} as select * from _disavow_arrow")
    finally:
        con.unregister("_disavow_arrow")
    return entries.num_rows


@dataclass(frozen=True)
class Selection:
    """A referring domain chosen for disavowal, and why (one comment line in the file)."""

    domain: str
    reason: str


def export_text(stored: DisavowFile, target: str, chosen: list[Selection], criteria: str) -> tuple[str, int]:
    """The file to upload: the imported lines, then each chosen domain not yet disavowed with its reason.

    Returns (text, entries added). Nothing is added, not even a heading, when
    every chosen domain is already disavowed: exporting an imported file
    gives it back unchanged.
    """
    lines = list(stored.lines)
    added = [selection for selection in chosen if not stored.covers(selection.domain)]
    if added:
        if lines and lines[-1].strip():
            lines.append("")
        lines.append(f"# linkindex: referring domains of {target} {criteria}")
        for selection in added:
            lines.append(f"# {' '.join(selection.reason.split())}")
            lines.append(f"{DOMAIN_PREFIX}{selection.domain}")
    return "".join(f"{line}\n" for line in lines), len(added)


SELECT_SQL = """
with flagged as (
    select
        referring_domain,
        list(flag order by flag) as flags,
        string_agg(flag || ': ' || reason, '; ' order by flag) as reasons
    from referring_domain_flags
    where target_domain = $target
    group by referring_domain
)
select risk.referring_domain, risk.risk, risk.why, flagged.reasons
from referring_domain_risk as risk
join flagged using (referring_domain)
where risk.target_domain = $target
    and (list_position($levels, risk.risk) >= $min_level or list_has_any(flagged.flags, $flags))
order by list_position($levels, risk.risk) desc, risk.referring_domain
"""


def select_domains(con, target: str, risk: str | None, flags: list[str]) -> list[Selection]:
    """The referring domains of ``target`` at or above ``risk`` or with any of ``flags``, with their reasons."""
    from linkindex.quality import RISK_LEVELS

    min_level = RISK_LEVELS.index(risk) + 1 if risk else len(RISK_LEVELS) + 1
    rows = con.execute(
        SELECT_SQL, {"target": target, "levels": list(RISK_LEVELS), "min_level": min_level, "flags": flags}
    ).fetchall()
    return [Selection(domain, f"risk {level} ({why}): {reasons}") for domain, level, why, reasons in rows]
