"""The shape of a page's markup: checked before parsing, cut or flattened when the parse would run away.

An HTML5 parser does work in proportion to the depth of its stack of open
elements for many tokens (closing a ``<p>`` "in button scope", an end tag
that matches nothing, a ``<li>`` looking for the one to close), and rebuilds
every unclosed formatting element (``<b>``, ``<font>``...) after each block
that closed them. Pages of unclosed ``<div>``s, ``<ul><li>``s, stray end
tags or distinct unclosed ``<b>``s therefore cost time that grows with the
square of their size: 100,000 unclosed ``<div>``s take Lexbor about 15 s,
and 20 KB of ``<b id=N>`` and paragraphs build a million elements. Browsers
have the same problem and cap the tree's depth (Chromium at 512).

So, before Lexbor sees a page (``bound``), by its number of '<':

* up to ``FAST_TAGS``: parsed as it is; its worst shape costs about a second;
* up to ``CHECKED_TAGS``: parsed as it is unless it has enough formatting
  elements with attributes to rebuild more than ``REBUILD_BUDGET`` elements
  (the stack walks of so few tags stay within about a second);
* above: cut after ``MAX_TAGS`` tags (``too_many_tags``), then read by a
  tokenizer that follows the HTML tokenizer's states (tags and their quoted
  attributes, comments, raw text such as ``<script>`` and its escapes) and
  a model of the tree builder's stack of open elements (implied end tags,
  scopes, tables, SVG and MathML) and list of formatting elements. A page
  that would open more than ``MAX_DEPTH`` elements (``deep_nesting``), walk
  more than ``WORK_BUDGET`` stack entries (``parser_work``) or rebuild more
  than ``MAX_REBUILT`` formatting elements (``formatting_flood``) is
  *flattened*: every tag but ``a``, ``area``, ``base``, ``link``, ``meta``
  and ``title`` becomes a ``<br>``, so every link is kept, with its anchor
  text, ``body`` as its placement, and a parse that is linear by
  construction.

The model pops open elements only where the parser certainly does, so it
errs towards flattening; over a thousand real pages it flattens none.
``flatten`` is safe whatever the input and whatever the model thought.
"""

import re

#: Pages with at most this many '<' are parsed as they are (their worst case
#: is about a second).
FAST_TAGS = 4000
#: Up to this many, a page is parsed as it is unless it could rebuild more
#: than ``REBUILD_BUDGET`` elements: its walks of the stack cost at most
#: about a second.
CHECKED_TAGS = 20_000
REBUILD_BUDGET = 3_000_000
#: Open elements beyond which a page is flattened (Chromium's tree depth limit).
MAX_DEPTH = 512
#: Stack steps the parser may take on one page (about a quarter of a second of Lexbor's time).
WORK_BUDGET = 30_000_000
#: Formatting elements rebuilt (reconstructed) after the blocks that closed them.
MAX_REBUILT = 200_000
#: Tags of a page read at most: the rest of a page with more is cut off (a page
#: of 10 MB has room for 3 million; real pages of that size have a tenth).
MAX_TAGS = 250_000

# Causes, as pages.error records them.
DEEP_NESTING = "deep_nesting"
PARSER_WORK = "parser_work"
FORMATTING_FLOOD = "formatting_flood"
TOO_MANY_TAGS = "too_many_tags"

# The attributes of a tag as the tokenizer reads them: a quote starts a value
# only after "name=", a value without its closing quote runs to the end.
# Possessive quantifiers keep every match linear.
_ATTRS = (
    r"(?:[\t\n\f\r /]++"
    r"|[^\t\n\f\r />][^\t\n\f\r />=]*+"
    r"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+(?:\"[^\"]*+(?:\"|\Z)|'[^']*+(?:'|\Z)|[^\t\n\f\r >\"'][^\t\n\f\r >]*+)?)?)*+"
)
VOID = frozenset(
    "area base basefont bgsound br col embed frame hr image img input keygen link meta param source track wbr".split()
)
#: Elements whose content is text up to their end tag (noscript is not: scripting is off).
RAW_TEXT = frozenset("script style xmp iframe noembed noframes textarea title".split())
FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
_MARKERS = frozenset("applet object marquee template td th caption".split())
_HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
_P_CLOSERS = frozenset(
    "address article aside blockquote center details dialog dir div dl fieldset figcaption figure footer "
    "header hgroup main menu nav ol p search section summary ul pre listing form plaintext xmp "
    "h1 h2 h3 h4 h5 h6 li dd dt".split()
)
_SPECIAL = frozenset(
    "address applet area article aside base basefont bgsound blockquote body br button caption center col "
    "colgroup dd details dir div dl dt embed fieldset figcaption figure footer form frame frameset h1 h2 h3 "
    "h4 h5 h6 head header hgroup hr html iframe img input keygen li link listing main marquee menu meta nav "
    "noembed noframes noscript object ol p param plaintext pre script search section select source style "
    "summary table tbody td template textarea tfoot th thead title tr track ul wbr xmp "
    "math:mi math:mo math:mn math:ms math:mtext math:annotation-xml svg:foreignobject svg:desc svg:title".split()
)
_SCOPE = frozenset(
    "applet caption html table td th marquee object template "
    "math:mi math:mo math:mn math:ms math:mtext math:annotation-xml svg:foreignobject svg:desc svg:title".split()
)
_LIST_SCOPE = _SCOPE | {"ol", "ul"}
_BUTTON_SCOPE = _SCOPE | {"button"}
_TABLE_SCOPE = frozenset({"html", "table", "template"})
#: <li> stops looking for an <li> to close at these; <dd>/<dt> likewise.
_LI_STOP = _SPECIAL - {"address", "div", "p"}
#: Start tags that take the parser out of SVG or MathML.
_BREAKOUT = frozenset(
    "b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img li listing "
    "menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul var".split()
)
#: Foreign elements whose content is HTML again.
_INTEGRATION = frozenset(
    "math:mi math:mo math:mn math:ms math:mtext math:annotation-xml svg:foreignobject svg:desc svg:title".split()
)
#: End tags checked "in scope", by the scope they are checked in; any other
#: end tag is looked for down to the nearest special element.
_END_SCOPE = {
    **dict.fromkeys(
        "address article aside blockquote button center details dialog dir div dl fieldset figcaption figure "
        "footer header hgroup listing main menu nav ol pre search section summary ul applet marquee object "
        "h1 h2 h3 h4 h5 h6 dd dt form".split(),
        "scope",
    ),
    "li": "list",
    "p": "button",
    **dict.fromkeys("table tbody thead tfoot tr td th caption colgroup".split(), "table"),
}
#: Start tags whose processing walks the stack (scope checks, implied ends).
_WALKING_START = _P_CLOSERS | _HEADINGS | frozenset(
    "a nobr button select option optgroup rb rp rt rtc table caption colgroup col tbody thead tfoot tr td th "
    "frameset body html image hr textarea math svg".split()
)
_SPECIAL_I, _SCOPE_I, _LIST_I, _BUTTON_I, _TABLE_I, _LI_STOP_I = range(6)
#: For each name, the categories (above) it belongs to: each keeps the stack indices of its open elements.
_CATEGORIES_OF = {}
for _index, _names in enumerate((_SPECIAL, _SCOPE, _LIST_SCOPE, _BUTTON_SCOPE, _TABLE_SCOPE, _LI_STOP)):
    for _name in _names:
        _CATEGORIES_OF[_name] = (*_CATEGORIES_OF.get(_name, ()), _index)
del _index, _names, _name

# findall groups: the first character of any text before the token (text
# rebuilds formatting elements); then a raw-text element read whole (name,
# content), or a tag (name with "/" before it for an end tag, attributes), or
# nothing for a comment. A tag cut by the end of the page runs to its end, as in the
# tokenizer: no '<' after it starts anything. Possessive quantifiers keep
# every match linear.
_TOKENS = re.compile(
    r"(?:([^<])[^<]*+)?"
    r"<(?:(script|style|xmp|iframe|noembed|noframes|textarea|title)(?=[\t\n\f\r />])" + _ATTRS + r"(?:>|\Z)"
    r"((?:[^<]++|<(?!/\2[\t\n\f\r />]))*+)(?:</\2" + _ATTRS + r"(?:>|\Z))?"
    r"|(/?[A-Za-z][^\t\n\f\r />]*+)(" + _ATTRS + r")(?:>|\Z)"
    r"|!--(?:>|->|(?:[^-]++|-(?!-!?>))*+(?:--!?>)?))",
    re.I,
)
_CDATA = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|\Z)", re.S)
_UNQUOTED_TAIL = re.compile(r"=[\t\n\f\r ]*+[^\t\n\f\r >\"'][^\t\n\f\r >]*+\Z")


class _Unsure(Exception):
    """The page has a script that hides an end tag in a comment, which the fast
    reading does not follow: it is read again token by token."""


class _Model:
    """The parser's stack of open elements and list of formatting elements, approximately.

    Pops only where the parser certainly pops; counts the stack steps it takes.
    """

    def __init__(self):
        self.stack: list[str] = []
        self.where: dict[str, list[int]] = {}
        self.cats: list[list[int]] = [[] for _ in range(6)]
        # Formatting entries: [name, key, stack index or -1 when closed]; None is a marker.
        self.afe: list = []
        self.work = 0
        self.rebuilt = 0

    def last(self, category: int) -> int:
        indices = self.cats[category]
        return indices[-1] if indices else -1

    def innermost(self, name: str) -> int:
        indices = self.where.get(name)
        return indices[-1] if indices else -1

    def push(self, name: str) -> None:
        stack = self.stack
        index = len(stack)
        stack.append(name)
        where = self.where.get(name)
        if where is None:
            self.where[name] = [index]
        else:
            where.append(index)
        categories = _CATEGORIES_OF.get(name)
        if categories:
            cats = self.cats
            for category in categories:
                cats[category].append(index)
            if name in _MARKERS:
                self.afe.append(None)

    def pop_to(self, length: int) -> None:
        """Pop the open elements down to ``length`` of them."""
        stack, where, cats, afe = self.stack, self.where, self.cats, self.afe
        while len(stack) > length:
            name = stack.pop()
            where[name].pop()
            categories = _CATEGORIES_OF.get(name)
            if categories:
                for category in categories:
                    cats[category].pop()
                if name in _MARKERS:
                    while afe and afe.pop() is not None:
                        pass
        # Formatting elements popped stay in the list, closed: they are rebuilt later.
        for entry in reversed(afe):
            if entry is None or entry[2] < length:
                break
            entry[2] = -1

    def rebuild(self) -> None:
        afe = self.afe
        if not afe or afe[-1] is None or afe[-1][2] >= 0:
            return
        first = len(afe) - 1
        while first > 0 and afe[first - 1] is not None and afe[first - 1][2] < 0:
            first -= 1
        self.rebuilt += len(afe) - first
        self.work += len(afe) - first
        for entry in afe[first:]:
            entry[2] = len(self.stack)
            self.push(entry[0])

    def foreign(self) -> bool:
        """Whether the current node is SVG or MathML (and not where HTML comes back)."""
        stack = self.stack
        return bool(stack) and ":" in stack[-1] and stack[-1] not in _INTEGRATION

    def start(self, name: str, attrs: str) -> None:
        stack = self.stack
        if self.foreign():
            if name not in _BREAKOUT:
                self.work += 1
                if not (attrs.endswith("/") and not _UNQUOTED_TAIL.search(attrs)):
                    self.push(stack[-1].split(":", 1)[0] + ":" + name)
                return
            # Out of SVG/MathML: back to the nearest HTML element.
            index = len(stack)
            while index and ":" in stack[index - 1] and stack[index - 1] not in _INTEGRATION:
                index -= 1
            self.work += len(stack) - index
            self.pop_to(index)
        if name in _WALKING_START:
            self.work += len(stack)
        if name == "html" or name == "body" or name == "head":
            return
        if name not in _NO_REBUILD:
            self.rebuild()
        if name == "svg" or name == "math":
            if not (attrs.endswith("/") and not _UNQUOTED_TAIL.search(attrs)):
                self.push(name + ":" + name)
            return
        if name in _P_CLOSERS:
            index = self.innermost("p")
            if index > self.last(_BUTTON_I):
                self.pop_to(index)
            if name == "li":
                index = self.innermost("li")
                if index >= 0 and index >= self.last(_LI_STOP_I):
                    self.pop_to(index)
            elif name == "dd" or name == "dt":
                index = max(self.innermost("dd"), self.innermost("dt"))
                if index >= 0 and index >= self.last(_LI_STOP_I):
                    self.pop_to(index)
            elif name in _HEADINGS and stack and stack[-1] in _HEADINGS:
                self.pop_to(len(stack) - 1)
        elif name == "option" or name == "optgroup":
            if stack and stack[-1] == "option":
                self.pop_to(len(stack) - 1)
        elif name in _TABLE_PARTS:
            table = self.last(_TABLE_I)
            cell = max(self.innermost("td"), self.innermost("th"))
            if cell > table:
                self.pop_to(cell)
            if name != "td" and name != "th":
                row = self.innermost("tr")
                if row > table:
                    self.pop_to(row)
                if name != "tr":
                    section = max(self.innermost("tbody"), self.innermost("thead"), self.innermost("tfoot"))
                    if section > table:
                        self.pop_to(section)
        elif name == "a" or name == "nobr":
            position = self.formatting_position(name)
            if position >= 0:
                self.adopt(position)
        if name in VOID:
            return
        self.push(name)
        if name in FORMATTING:
            self.remember(name, name + attrs)

    def end(self, name: str) -> None:
        stack = self.stack
        self.work += len(stack)
        if stack and ":" in stack[-1]:
            # In SVG or MathML: the innermost element of that name, if no HTML element is in between.
            index = len(stack) - 1
            while index >= 0 and ":" in stack[index]:
                if stack[index].split(":", 1)[1] == name:
                    self.pop_to(index)
                    return
                index -= 1
        if name in FORMATTING:
            self.work += len(self.afe)
            position = self.formatting_position(name)
            if position >= 0:
                self.adopt(position)
                return
        index = self.innermost(name)
        if index < 0:
            return
        # In scope: no boundary above it (it may be a boundary itself, as <table> is).
        scope = _END_SCOPE.get(name)
        if index >= self.last(_SPECIAL_I if scope is None else scope):
            self.pop_to(index)

    def formatting_position(self, name: str) -> int:
        """The position of the last active formatting element ``name`` after the last marker, or -1."""
        afe = self.afe
        for position in range(len(afe) - 1, -1, -1):
            entry = afe[position]
            if entry is None:
                return -1
            if entry[0] == name:
                return position
        return -1

    def adopt(self, position: int) -> None:
        """The adoption agency for the formatting element at ``position`` of the list."""
        index = self.afe.pop(position)[2]
        if index < 0 or index < self.last(_SCOPE_I):
            return  # closed already, or out of scope: it only leaves the list
        if index >= self.last(_SPECIAL_I):
            self.pop_to(index)
        # Else a block opened inside it: the parser moves elements about, but
        # the stack does not grow; it is left as it is.

    def remember(self, name: str, key: str) -> None:
        afe = self.afe
        same = 0
        self.work += len(afe)
        for position in range(len(afe) - 1, -1, -1):
            entry = afe[position]
            if entry is None:
                break
            if entry[1] == key:
                same += 1
                if same == 3:
                    del afe[position]  # the Noah's Ark clause: three alike at most
                    break
        afe.append([name, key, len(self.stack) - 1])

    def verdict(self) -> str | None:
        if len(self.stack) > MAX_DEPTH:
            return DEEP_NESTING
        if self.rebuilt > MAX_REBUILT:
            return FORMATTING_FLOOD
        if self.work > WORK_BUDGET:
            return PARSER_WORK
        return None


_TABLE_PARTS = frozenset("td th tr tbody thead tfoot".split())
#: Start tags the parser does not rebuild formatting elements for (text after them does).
_NO_REBUILD = _P_CLOSERS | _HEADINGS | _TABLE_PARTS | RAW_TEXT | frozenset(
    "caption colgroup col template frameset select option optgroup".split()
)
_END_SCOPE_INDEX = {"scope": _SCOPE_I, "list": _LIST_I, "button": _BUTTON_I, "table": _TABLE_I}
_END_SCOPE = {name: _END_SCOPE_INDEX[scope] for name, scope in _END_SCOPE.items()}


def _script_end(document: str, start: int) -> int:
    """The end of script data with the tokenizer's escaped states: inside ``<!--``, a
    ``<script>`` makes the next ``</script>`` part of the script."""
    escaped = double = False
    for match in _SCRIPT_STEP.finditer(document, start):
        token = match.group().lower()
        if token == "<!--":
            escaped = True
        elif token == "-->":
            escaped = double = False
        elif token.startswith("</"):
            if double:
                double = False
            else:
                return match.start()
        elif escaped:
            double = True
    return -1


_SCRIPT_STEP = re.compile(r"<!--|-->|</script(?=[\t\n\f\r />])|<script(?=[\t\n\f\r />])", re.I)


def bound(document):
    """``(document to parse, None)``, or a cut or flattened one and why (a ``pages.error``).

    ``document`` is bytes or str; what comes back is of the same type.
    """
    is_bytes = isinstance(document, bytes)
    lt = b"<" if is_bytes else "<"
    tags = document.count(lt)
    if tags <= FAST_TAGS:
        return document, None
    if tags <= CHECKED_TAGS:
        # Within this many tags only rebuilt formatting elements can run away,
        # and only formatting elements with attributes escape Noah's Ark.
        formatting = len((_FORMATTING_WITH_ATTRIBUTES_BYTES if is_bytes else _FORMATTING_WITH_ATTRIBUTES).findall(document))
        if (formatting + _ARK) * tags <= REBUILD_BUDGET:
            return document, None
    cause = None
    if tags > MAX_TAGS:
        document = document[: _nth(document, lt, MAX_TAGS)]
        cause = TOO_MANY_TAGS
    text = document.decode("latin-1") if is_bytes else document
    try:
        verdict = _read(_TOKENS.findall(text), _Model())
    except _Unsure:
        verdict = _read_slowly(text)
    if verdict is not None:
        return flatten(document), cause or verdict
    return document, cause


_FORMATTING_WITH_ATTRIBUTES = re.compile(
    r"<(?:b|big|code|em|font|i|nobr|s|small|strike|strong|tt|u)[\t\n\f\r /]", re.I
)
_FORMATTING_WITH_ATTRIBUTES_BYTES = re.compile(_FORMATTING_WITH_ATTRIBUTES.pattern.encode(), re.I)
#: Formatting elements without attributes the list can hold: three of each name.
_ARK = 3 * 13


def _nth(document, lt, n: int) -> int:
    """The offset of the ``n``-th ``lt`` in ``document`` (it has more than ``n``), by halving."""
    low, high = 0, len(document)
    while low < high:
        middle = (low + high) // 2
        if document.count(lt, 0, middle + 1) >= n:
            high = middle
        else:
            low = middle + 1
    return low


def _read(tokens, model: _Model) -> str | None:
    start, end, verdict = model.start, model.end, model.verdict
    stack, where, afe = model.stack, model.where, model.afe
    for count, (text, raw, content, tag, attrs) in enumerate(tokens):
        if text and afe and afe[-1] is not None and afe[-1][2] < 0:
            model.rebuild()
        if tag:
            tag = tag.lower()
            if tag[0] == "/":
                name = tag[1:]
                if stack and stack[-1] == name and name not in FORMATTING:
                    # The common case: the end tag of the current node.
                    model.work += len(stack)
                    model.pop_to(len(stack) - 1)
                else:
                    end(name)
            elif (
                tag not in _NOT_PLAIN
                and not (stack and ":" in stack[-1])
                and (not afe or afe[-1] is None or afe[-1][2] >= 0)
            ):
                # The common case: an element with no rule of its own, nothing to rebuild.
                indices = where.get(tag)
                if indices is None:
                    where[tag] = [len(stack)]
                else:
                    indices.append(len(stack))
                stack.append(tag)
            else:
                start(tag, attrs)
                if tag == "plaintext" and not model.foreign():
                    break
        elif raw:
            raw = raw.lower()
            start(raw, "")
            if model.foreign():
                # In SVG or MathML a <style> or <title> holds markup, not text.
                inner = _read(_TOKENS.findall(_CDATA.sub("", content)), model)
                if inner is not None:
                    return inner
            elif raw == "script" and "<!--" in content and "<script" in content.lower():
                raise _Unsure
            end(raw)
        if count & 255 == 0 and verdict() is not None:
            break
    return verdict()


#: Names with a rule of their own in the model; any other start tag just opens an element.
_NOT_PLAIN = (
    _SPECIAL | _SCOPE | _WALKING_START | VOID | FORMATTING | RAW_TEXT | _MARKERS | _BREAKOUT
    | frozenset("html head body svg math option optgroup plaintext td th tr tbody thead tfoot".split())
)


def _read_slowly(document: str) -> str | None:
    """``bound``'s reading token by token, for scripts that hide an end tag in a comment."""
    model = _Model()
    pos, length = 0, len(document)
    search = _TOKENS.search
    while pos < length:
        match = search(document, pos)
        if match is None:
            break
        pos = match.end()
        text, raw, content, tag, attrs = match.groups(default="")
        if text:
            model.rebuild()
        if raw:
            raw = raw.lower()
            model.start(raw, "")
            if model.foreign():
                pos = match.start(3)  # the content is markup: read it as such
                continue
            model.end(raw)
            if raw == "script":
                stop = _script_end(document, match.start(3))
                if stop < 0:
                    break
                pos = stop
        elif tag:
            tag = tag.lower()
            if tag[0] == "/":
                model.end(tag[1:])
            else:
                model.start(tag, attrs)
                if tag == "plaintext" and not model.foreign():
                    break
        cause = model.verdict()
        if cause is not None:
            return cause
    return model.verdict()


# -- flattening ------------------------------------------------------------------

#: The tags a flattened page keeps: those the extractor reads.
KEPT_TAGS = ("a", "area", "base", "link", "meta", "title")
# Comments, elements whose content is not markup (their "links" are not
# links) and everything after <plaintext> go whole.
_DROP = re.compile(
    r"<!--(?:>|->|.*?(?:--!?>|\Z))"
    r"|<(script|style|xmp|iframe|noembed|noframes|textarea)(?=[\t\n\f\r />])" + _ATTRS + r"(?:>|\Z)"
    r".*?(?:</\1(?=[\t\n\f\r />])" + _ATTRS + r"(?:>|\Z)|\Z)"
    r"|<plaintext(?=[\t\n\f\r />]).*",
    re.S | re.I,
)
# The start of any other tag, start or end.
_OTHER_TAG = re.compile(r"<(?!/?(?:a|area|base|link|meta|title)[\t\n\f\r />])(?=/?[A-Za-z])", re.I)


def flatten(document):
    """``document`` (bytes or str) with every tag but the kept ones made a ``<br>``: parsed in linear time.

    ``<div class=x>`` becomes ``<br div class=x>`` and ``</div>`` ``<br /div>``:
    void elements that nest nothing and keep words apart, as block
    boundaries do. Comments, scripts, styles and the like go first. What
    the parser then meets is text, ``<br>``s and the kept tags, of which
    only ``<a>`` holds content, and a new ``<a>`` closes the one before it.
    """
    is_bytes = isinstance(document, bytes)
    text = document.decode("latin-1") if is_bytes else document
    text = _OTHER_TAG.sub("<br ", _DROP.sub("", text))
    return text.encode("latin-1") if is_bytes else text
