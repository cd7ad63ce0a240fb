"""crawler.shape: pages whose parse would run away are cut or flattened; real pages are not.

Pages here are just big enough (over ``CHECKED_TAGS`` tags) for the model to
read them; the benchmark ``python -m bench worst-case`` times the same shapes
at 10 MB.
"""

from collections import Counter
from datetime import datetime, timezone
import re

import pytest

from crawler import extractor, shape
from crawler.extractor import extract_links
from crawler.records import page_records

URL = "http://www.example.com/page"

#: An ordinary stretch of page, with what real pages do that a naive reading
#: of tags would take for deep nesting: unclosed <p>, <li>, <td>, <option>;
#: end tags in scripts, comments and attribute values; SVG with self-closed
#: children; MathML; formatting closed late.
ORDINARY = """
<div class="post"><h2><a href="/post/{i}">Post {i}</a></h2>
<p>First paragraph <b>bold <i>both</b> italic</i>
<p>Second <font color="red">unclosed font <p>third
<ul><li>one<li>two <a href="/tag/{i}">tag</a><li>three</ul>
<table><tr><td>a<td>b<tr><td>c<td><a href="https://example.org/{i}">d</a></table>
<select><option>x<option>y<optgroup label="g"><option>z</select>
<script>if (a < b && c > d) {{ html = "</div></div></div><div>"; }}</script>
<!-- </div></div> <div><div> -->
<span title="</div></span>">quoted</span>
<svg viewBox="0 0 10 10"><g><path d="M0 0"/><circle r="1"/><title>icon</title></g></svg>
<math><mi>x</mi><mo>=</mo><mn>1</mn></math>
<dl><dt>term<dd>definition<dt>term<dd>definition</dl>
<img src="/i/{i}.png" alt="{i}"><br><input type="text">
</div>
"""


def ordinary_page(tags: int) -> str:
    unit = ORDINARY.count("<")
    return "<!doctype html><html><head><title>T</title></head><body>" + "".join(
        ORDINARY.format(i=i) for i in range(tags // unit + 1)
    )


def test_fast_tags_and_checked_tags_are_what_the_model_is_for():
    assert shape.FAST_TAGS < shape.CHECKED_TAGS < shape.MAX_TAGS


def test_an_ordinary_page_above_the_checked_size_is_read_and_left_as_it_is():
    document = ordinary_page(shape.CHECKED_TAGS + 5000)
    assert document.count("<") > shape.CHECKED_TAGS
    parsed, cause = shape.bound(document)
    assert cause is None and parsed is document
    body = document.encode()
    assert shape.bound(body)[0] is body


def deep(unit: str, tags: int, tail: str = "") -> str:
    return "<html><body>" + unit * (tags // unit.count("<") + 1) + tail


@pytest.mark.parametrize(
    ("document", "cause"),
    [
        (deep("<div>", 25_000), shape.DEEP_NESTING),
        (deep("<ul><li>", 25_000), shape.DEEP_NESTING),
        (deep("<table><tr><td>", 25_000), shape.DEEP_NESTING),
        (deep("<x-y>", 400) + "</i>" * 90_000, shape.PARSER_WORK),
        ("<p>" + "".join(f"<b id={i}>" for i in range(400)) + "</p><p>x" * 11_000, shape.FORMATTING_FLOOD),
        # Nesting that hides from a reading of tags that ignores the tokenizer's states:
        # end tags inside attribute values, comments and scripts are no end tags.
        (deep('<div title="</div>">', 25_000), shape.DEEP_NESTING),
        (deep("<div><!-- </div> -->", 25_000), shape.DEEP_NESTING),
        (deep("<div><script>'</div>'</script>", 25_000), shape.DEEP_NESTING),
        # A script that hides its end tag in a comment runs on: so does the nesting after it.
        ("<script><!--<script></script></div>" + "</div>" * 5 + "--></script>" + deep("<div>", 25_000), shape.DEEP_NESTING),
        # In SVG, <style> holds markup; a <div> in it breaks out and nests.
        ("<svg><style>" + deep("<div>", 25_000), shape.DEEP_NESTING),
    ],
    ids=["div", "list", "table", "stray-end-tags", "formatting", "attribute", "comment", "script", "script-escape", "svg-style"],
)
def test_pathological_shapes_are_flattened_with_their_cause(document, cause):
    parsed, found = shape.bound(document)
    assert found == cause
    assert parsed == shape.flatten(document)


def test_a_page_with_more_tags_than_read_is_cut_where_the_limit_falls(monkeypatch):
    monkeypatch.setattr(shape, "MAX_TAGS", shape.CHECKED_TAGS + 100)
    document = ordinary_page(shape.CHECKED_TAGS + 5000).encode()
    parsed, cause = shape.bound(document)
    assert cause == shape.TOO_MANY_TAGS
    assert document.startswith(parsed) and parsed.count(b"<") == shape.MAX_TAGS - 1


KEPT_OR_BR = re.compile(r"<(?!/?(?:a|area|base|link|meta|title)[\t\n\f\r />]|br )", re.I)


def test_flattening_keeps_only_the_tags_links_come_from():
    document = (
        '<html><head><base href="/b/"><title>T</title><link rel=canonical href="c">'
        '<meta http-equiv=refresh content="0; url=r"></head><body><div><table><tr><td>'
        '<a href="a" rel=nofollow>one <b>two</b></a><svg><a href="s">svg</a></svg>'
        '<map><area href="m" alt="area"></map><script>"<a href=/no>"</script><!-- <a href=/no2> -->'
        '<textarea><a href="/no3"></textarea><p>Words<br>apart</div>'
    )
    flat = shape.flatten(document)
    assert not KEPT_OR_BR.search(flat)
    assert "/no" not in flat
    page = extract_links(flat.encode(), URL)
    assert [(link.dst_url, link.kind, link.anchor_text) for link in page.links] == [
        ("http://www.example.com/b/c", "canonical", ""),
        ("http://www.example.com/b/r", "redirect", ""),
        ("http://www.example.com/b/a", "anchor", "one two"),
        ("http://www.example.com/b/s", "anchor", "svg"),
        ("http://www.example.com/b/m", "area", "area"),
    ]
    assert page.links[2].nofollow and page.title == "T"


def test_a_flattened_page_keeps_its_links_and_says_why():
    links = "".join(f'<a href="/p{i}">page {i}</a>' for i in range(300))
    body = ("<html><body>" + "<div>" * 25_000 + links).encode()
    stats = Counter()
    records = page_records(URL, 200, [("Content-Type", "text/html")], body, datetime.now(timezone.utc), stats)
    assert records.page.error == shape.DEEP_NESTING
    assert stats["pages/bounded/deep_nesting"] == 1 and stats["pages/html"] == 1
    assert [link.dst_url for link in records.links] == [f"http://www.example.com/p{i}" for i in range(300)]
    assert records.links[7].anchor_text == "page 7" and {link.placement for link in records.links} == {"body"}


def records_of(body: str):
    stats = Counter()
    return page_records(URL, 200, [("Content-Type", "text/html")], body.encode(), datetime.now(timezone.utc), stats), stats


def test_links_past_the_limit_are_not_read_and_the_page_says_so(monkeypatch):
    monkeypatch.setattr(extractor, "MAX_LINKS", 5)
    records, stats = records_of("".join(f'<a href="/p{i}">{i}</a>' for i in range(8)))
    assert [link.anchor_text for link in records.links] == ["0", "1", "2", "3", "4"]
    assert records.page.error == "too_many_links" and stats["pages/bounded/too_many_links"] == 1


def test_meta_past_the_limit_are_not_read(monkeypatch):
    monkeypatch.setattr(extractor, "MAX_META", 3)
    refresh = '<meta http-equiv="refresh" content="0; url=/r{}">'
    records, stats = records_of("".join(refresh.format(i) for i in range(3)) + '<meta name="robots" content="noindex">')
    assert [link.dst_url for link in records.links] == [f"http://www.example.com/r{i}" for i in range(3)]
    assert not records.page.noindex and records.page.error == "too_many_meta"


def test_nested_links_each_have_their_own_text():
    # SVG links nest; so do HTML ones across <object>. Each node's text is
    # one link's, so the text of every link is read once.
    page = extract_links(
        b'<svg><a href="/1">one<a href="/2">two<a href="/3">three</a></a></a></svg>'
        b'<a href="/4">four<object><a href="/5">five</a></object></a>',
        URL,
    )
    assert [link.anchor_text for link in page.links] == ["one", "two", "three", "four", "five"]


def test_the_text_of_a_link_is_read_up_to_its_limit(monkeypatch):
    monkeypatch.setattr(extractor, "ANCHOR_TEXT_NODES", 6)
    page = extract_links(b'<a href="/a">' + b"".join(b"<span>w%d</span>" % i for i in range(10)) + b"</a>", URL)
    assert page.links[0].anchor_text == "w0w1"
