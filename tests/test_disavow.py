"""Disavow files: Google's format read line by line, its limits at their edges, import and export round trips."""

from pathlib import Path

import pytest

from linkindex.cli import main
from linkindex.disavow import (
    MAX_BYTES,
    MAX_LINES,
    MAX_URL_CHARS,
    Entry,
    Selection,
    export_text,
    import_file,
    limit_problems,
    parse,
    read_stored,
    stored_path,
)

GOOD = """\
# Contacted the owner on 2024-03-01, no answer
domain:spam.example
domain:Links.Bücher.de
https://blog.example.net/paid-post#comments

http://forum.example.org/t/1
"""


def test_parse_reads_domains_urls_comments_and_blank_lines():
    parsed = parse(GOOD.encode())
    assert parsed.problems == []
    assert parsed.entries == [
        Entry("domain", "spam.example", 2),
        Entry("domain", "links.xn--bcher-kva.de", 3),  # lowercased, punycoded as a browser would
        Entry("url", "https://blog.example.net/paid-post", 4),  # the fragment is not part of the page
        Entry("url", "http://forum.example.org/t/1", 6),
    ]
    assert [entry.domain for entry in parsed.entries] == [
        "spam.example",
        "xn--bcher-kva.de",
        "example.net",
        "example.org",
    ]
    assert parsed.text == GOOD  # every line kept as written


BAD = [
    ("example.com", "not a URL or a domain: line"),
    ("Domain:example.com", "write the prefix in lowercase: domain:example.com"),
    ("domain:", "domain: must be followed by a domain name alone"),
    ("domain:https://example.com/", "domain: must be followed by a domain name alone"),
    ("domain:example.com/en/", "domain: must be followed by a domain name alone"),
    ("domain:*.example.com", "domain: must be followed by a domain name alone"),
    ("ftp://example.com/file", "not a valid http(s) URL"),
    ("https://", "not a valid http(s) URL"),
    ("https://example.com/" + "a" * (MAX_URL_CHARS - 19), "URL longer than Google's limit of 2,048 characters (2,049)"),
]


@pytest.mark.parametrize("line, problem", BAD)
def test_parse_reports_a_bad_line_by_number_and_keeps_the_rest(line, problem):
    data = f"# first\n{line}\ndomain:kept.example\n".encode()
    parsed = parse(data)
    assert len(parsed.problems) == 1
    number, why = parsed.problems[0]
    assert number == 2 and why.startswith(problem)
    assert parsed.entries == [Entry("domain", "kept.example", 3)]
    assert parsed.lines == ["# first", "domain:kept.example"]


def test_a_url_of_exactly_the_limit_is_kept():
    url = "https://example.com/" + "a" * (MAX_URL_CHARS - 20)
    assert len(url) == MAX_URL_CHARS
    assert parse(f"{url}\n".encode()).entries == [Entry("url", url, 1)]


def test_parse_reports_lines_that_are_not_utf8_and_reads_crlf_and_a_bom():
    data = b"\xef\xbb\xbfdomain:a.example\r\n\xff\xfe bad\r\ndomain:b.example"
    parsed = parse(data)
    assert parsed.problems == [(2, "not UTF-8 text (Google reads UTF-8 or 7-bit ASCII)")]
    assert [e.value for e in parsed.entries] == ["a.example", "b.example"]


def lines_of(count: int) -> str:
    return "".join(f"domain:{i}.io\n" for i in range(count))


def test_limits_at_their_edges():
    assert limit_problems(lines_of(MAX_LINES)) == []
    assert limit_problems(lines_of(MAX_LINES + 1)) == [
        "100,001 lines, over Google's limit of 100,000 (comment and blank lines count)"
    ]
    # A last line without its newline is a line too.
    assert limit_problems(lines_of(MAX_LINES) + "# one more") != []
    one_line = "# " + "x" * (MAX_BYTES - 3) + "\n"
    assert len(one_line.encode()) == MAX_BYTES and limit_problems(one_line) == []
    over = "# é" + "x" * (MAX_BYTES - 4) + "\n"  # é is two bytes in UTF-8
    assert len(over) == MAX_BYTES and limit_problems(over) == [
        "2,000,001 bytes, over Google's limit of 2 MB (2,000,000 bytes)"
    ]
    url = "https://example.com/" + "a" * (MAX_URL_CHARS - 20)
    assert limit_problems(f"{url}\n") == []
    assert limit_problems(f"{url}a\n") == ["line 1: URL longer than Google's limit of 2,048 characters"]


def test_import_keeps_the_valid_lines_with_the_data(tmp_path):
    source = tmp_path / "disavow.txt"
    source.write_text(GOOD + "not a line\n")
    parsed, path = import_file(source, "example.com", tmp_path / "data")
    assert path == stored_path(tmp_path / "data", "example.com") == tmp_path / "data" / "disavow" / "example.com.txt"
    assert path.read_text() == GOOD
    assert parsed.problems == [(7, parsed.problems[0][1])]
    assert read_stored(tmp_path / "data", "example.com").entries == parse(GOOD.encode()).entries
    assert read_stored(tmp_path / "data", "other.com").entries == []
    # A second import replaces the first, as an upload to Google does.
    source.write_text("domain:only.example\n")
    import_file(source, "example.com", tmp_path / "data")
    assert path.read_text() == "domain:only.example\n"
    assert not list(path.parent.glob(".*.tmp"))


def test_export_adds_what_is_not_yet_disavowed_after_the_imported_lines():
    stored = parse(GOOD.encode())
    chosen = [Selection("spam.example", "risk high: already in the file"), Selection("farm.example", "risk high: x")]
    text, added = export_text(stored, "example.com", chosen, "at risk high or above")
    assert added == 1
    assert text == GOOD + (
        "\n# linkindex: referring domains of example.com at risk high or above\n# risk high: x\ndomain:farm.example\n"
    )
    # Imported again, exported again: the same file.
    again, added = export_text(parse(text.encode()), "example.com", chosen, "at risk high or above")
    assert (again, added) == (text, 0)


def test_import_command_reports_bad_lines_by_number(tmp_path, capsys):
    source = tmp_path / "disavow.txt"
    source.write_text("domain:spam.example\nexample.org\nhttps://ok.example/page\n")
    assert main(["disavow", "import", str(source), "--target", "WWW.Example.com", "--data", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "disavow.txt:2: not a URL or a domain: line" in captured.err
    assert "1 domains and 1 URLs disavowed for example.com" in captured.out
    assert "1 lines skipped" in captured.out
    assert (tmp_path / "disavow" / "example.com.txt").read_text() == "domain:spam.example\nhttps://ok.example/page\n"


def test_import_command_warns_when_google_would_refuse_the_file(tmp_path, capsys):
    source = tmp_path / "disavow.txt"
    source.write_text(lines_of(MAX_LINES + 1))
    assert main(["disavow", "import", str(source), "--target", "example.com", "--data", str(tmp_path)]) == 0
    assert "Google would refuse this file: 100,001 lines" in capsys.readouterr().out


def test_import_command_says_what_is_wrong_with_a_missing_file(tmp_path, capsys):
    missing = Path(tmp_path / "nope.txt")
    assert main(["disavow", "import", str(missing), "--target", "example.com", "--data", str(tmp_path)]) == 2
    assert "cannot read" in capsys.readouterr().err


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory):
    """The sample crawl of helpers.py, built: news.org and spam.biz are flagged referring domains of example.com,
    and its disavow file already has domain:spam.biz."""
    from helpers import write_sample

    from linkindex.build import build

    data = write_sample(tmp_path_factory.mktemp("sample"))
    build(data)
    return data


def test_export_refuses_a_file_past_the_line_limit_and_writes_nothing(sample_index, tmp_path, capsys):
    from linkindex.disavow import write_text

    stored = stored_path(sample_index, "example.com")
    kept = stored.read_text()
    output = tmp_path / "out.txt"
    try:
        # spam.biz is disavowed already, news.org (risk low) not: the export adds a blank line, a heading, a
        # reason and its entry.
        for imported, refused in ((MAX_LINES - 4, False), (MAX_LINES - 3, True)):
            write_text(stored, lines_of(imported - 1) + "domain:spam.biz\n")
            code = main(["disavow", "export", "example.com", "--risk", "low", "--data", str(sample_index),
                         "--output", str(output)])  # fmt: skip
            captured = capsys.readouterr()
            if refused:
                assert code == 2 and not output.exists()
                assert "past Google's limits, not written: 100,001 lines" in captured.err
            else:
                assert code == 0 and len(output.read_text().splitlines()) == MAX_LINES
                assert output.read_text().endswith("domain:news.org\n")
                output.unlink()
    finally:
        write_text(stored, kept)


def test_export_selects_by_risk_or_flag(sample_index, capsys):
    assert main(["disavow", "export", "example.com", "--data", str(sample_index)]) == 0
    # Nothing at risk high: the imported file comes back as it is.
    assert capsys.readouterr().out == stored_path(sample_index, "example.com").read_text()
    assert main(["disavow", "export", "example.com", "--flag", "reciprocal", "--data", str(sample_index)]) == 0
    out = capsys.readouterr().out
    assert (
        out.endswith("domain:news.org\n") and "# linkindex: referring domains of example.com flagged reciprocal" in out
    )
    assert "reciprocal: example.com links back to news.org" in out
