"""A fast declaration index of one AL file, from compiled regular expressions over preprocessed text.

The index says what a file declares without parsing it: its objects (kind, id, name, ``extends``,
``implements``), its procedure and trigger headers with line ranges, the events its
``[EventSubscriber(...)]`` procedures listen to, and whether it mentions page background tasks
(``EnqueueBackgroundTask``, ``GetBackgroundParameters``, ``SetBackgroundTaskResult``,
``OnPageBackgroundTask*``). Demand-driven analysis (:mod:`pbtlint.demand`) uses it to decide which
files to parse.

Headers are recognized at the start of a line, outside block comments and multi-line text literals
(``/* */``, ``@'...'``); a line comment cannot hold a header that starts its line. The marker flag
is deliberately generous (a marker in a comment counts): an index may name a file that turns out
not to matter, which costs a parse, but must never miss one that does.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pbtlint.pickling import fast_pickling

OBJECT_KINDS = (
    "tableextension", "table", "pageextension", "pagecustomization", "page", "codeunit", "reportextension",
    "report", "query", "xmlport", "enumextension", "enum", "interface", "controladdin", "dotnet",
    "profileextension", "profile", "permissionsetextension", "permissionset", "entitlement",
)

RETURNED_TYPES = ("codeunit", "record", "page", "report", "query", "xmlport", "interface")
"""Type words of the objects a function can return, whose members a caller then calls (``F.Task().Read()``)."""
_NAME = r'(?:"(?:[^"\n]|"")*"|[A-Za-z_][A-Za-z0-9_]*)'
_QUALIFIED = rf"(?:{_NAME}\s*\.\s*)*{_NAME}"
# Blank between the words of a header: white space and comments (``extends`` on the line below a
# commented name, a subscriber's arguments split by a comment). Text literals never stand there.
# A line comment runs to the end of its line, possessively (``*+``): given back, it could end at any
# blank inside and another comment start after it, one more way per line to try (a header above
# eight lines like ``/// a // b`` took 41 s to index).
COMMENT_PATTERN = r"//[^\n]*+|/\*(?:[^*]|\*(?!/))*\*/"
_GAP = rf"(?:\s|{COMMENT_PATTERN})"
_COMMENT = re.compile(COMMENT_PATTERN)
# Each header pattern starts with a lookahead for the first letters its words can have: Python's
# regular expressions try an alternation branch by branch at every line, and the lookahead turns
# most lines away at once (index_text on 3,000 Base Application files: 1.21 s -> 0.67 s, the same
# indexes for every file of BCApps and npcore). The indentation before it is matched possessively
# (``*+``): given back space by space, each space would be tried against the lookahead, which no
# space passes (each pattern over the Base Application's 109 MB: 0.53-0.56 s -> 0.21-0.24 s).
_KIND_LETTERS = "".join(sorted({k[0] for k in OBJECT_KINDS}))
_OBJECT = re.compile(
    rf"""\n[ \t\ufeff]*+(?=[{_KIND_LETTERS}])(?P<kind>{'|'.join(OBJECT_KINDS)})
         {_GAP}+(?:(?P<id>\d+){_GAP}+)?(?P<name>{_NAME})
         (?:{_GAP}+(?:extends|customizes){_GAP}+(?P<extends>{_QUALIFIED}))?
         (?:{_GAP}+implements{_GAP}+(?P<implements>{_QUALIFIED}(?:{_GAP}*,{_GAP}*{_QUALIFIED})*))?
         (?=\s*(?:\{{|$|//|/\*|extends|implements|customizes))""",
    re.VERBOSE,
)
_ACCESS = ("local", "internal", "protected")
_HEADER_LETTERS = "".join(sorted({w[0] for w in (*_ACCESS, "procedure", "trigger")}))
_PROC = re.compile(
    rf"\n[ \t]*+(?=[{_HEADER_LETTERS}])(?:(?P<access>{'|'.join(_ACCESS)})\s+)?(?P<kind>procedure|trigger)"
    rf"\s+(?P<name>{_NAME})(?:\s*::\s*{_NAME})?\s*\(",
)
# What follows a procedure header's opening parenthesis up to an object return type: the parameters
# (quoted names may hold parentheses), a return value's name, ``:``, the type word and the object.
_RETURNS = re.compile(
    rf"""(?:"[^"\n]*"|[^()"])*\){_GAP}*(?:{_NAME}{_GAP}*)?:{_GAP}*(?P<word>{'|'.join(RETURNED_TYPES)}){_GAP}+
         (?:(?P<id>\d+)\b|(?P<name>{_QUALIFIED}))""",
    re.VERBOSE,
)
_SUBSCRIBER = re.compile(
    rf"""\[\s*eventsubscriber{_GAP}*\({_GAP}*objecttype{_GAP}*::{_GAP}*(?P<type>\w+){_GAP}*,{_GAP}*
         (?:(?P<scope>\w+){_GAP}*::{_GAP}*(?P<name>{_QUALIFIED})|(?P<id>\d+)){_GAP}*,{_GAP}*
         (?:'(?P<event>(?:[^'\n]|'')*)'|"(?P<event_quoted>(?:[^"\n]|"")*)"|(?P<event_name>\w+))
         {_GAP}*(?:,{_GAP}*'(?P<element>(?:[^'\n]|'')*)')?""",
    re.VERBOSE,
)
MARKER_WORDS = ("enqueuebackgroundtask", "getbackgroundparameters", "setbackgroundtaskresult")
"""Words whose lines a file's index holds as :attr:`FileIndex.marker_lines` (with those of the
background-task triggers): a line no marker is on names none of them."""
_MARKER = re.compile("|".join((*MARKER_WORDS, "onpagebackgroundtask")))
_PUBLISHER = re.compile(r"\[\s*(?:integrationevent|businessevent|internalevent)\b")
# Regions where a header-looking line is not code: block comments and multi-line text literals.
_OPAQUE = re.compile(r"/\*.*?(?:\*/|\Z)|@'(?:[^']|'')*(?:'|\Z)|//[^\n]*|'(?:[^'\n]|'')*'?", re.DOTALL)
_SEGMENT = re.compile(r'"((?:[^"]|"")*)"|([^."\s]+)')


def unquote(name: str) -> str:
    """``"Sales Header"`` -> ``Sales Header``; a plain name as is."""
    name = name.strip()
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return name[1:-1].replace('""', '"')
    return name


def last_segment(qualified: str) -> str:
    """The object name of a possibly namespace-qualified name: ``Microsoft.Sales."Sales Header"``."""
    parts = [m.group(1).replace('""', '"') if m.group(1) is not None else m.group(2)
             for m in _SEGMENT.finditer(qualified)]
    parts = [p for p in parts if p]
    return parts[-1] if parts else unquote(qualified)


_ID_TYPES = {"codeunit": "codeunit", "page": "page", "table": "record", "report": "report", "xmlport": "xmlport",
             "query": "query"}


def id_reference(kind: str, object_id: int | None) -> str:
    """How a variable's type names an object by id (``Codeunit 50100``, ``Record 18``), lower-case;
    empty when the object has no id or its kind is not named so."""
    word = _ID_TYPES.get(kind.lower())
    return f"{word} {object_id}" if word and object_id is not None else ""


def type_id_reference(type_name: str, object_name: str) -> str:
    """:func:`id_reference` as a type names it (``Page 50450``: type ``Page``, object ``50450``); empty
    for a type that names its object otherwise."""
    word = type_name.lower()
    return f"{word} {object_name}" if object_name.isdigit() and word in _ID_TYPES.values() else ""


@dataclass(frozen=True, slots=True)
class ObjectDecl:
    """An object header; names are as written without quotes; ``extends`` is the last segment."""

    kind: str
    id: int | None
    name: str
    extends: str | None
    implements: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class ProcDecl:
    """A procedure or trigger header; ``end_line`` is the line before the next header (or the last line)."""

    kind: str
    name: str
    access: str
    line: int
    end_line: int
    publisher: bool = False
    returns: str = ""  # the object a function returns: its name (last segment) or ``codeunit 50100`` (id_reference)


@dataclass(frozen=True, slots=True)
class SubscriberDecl:
    """What an ``[EventSubscriber]`` listens to: ``object_type`` lower-case (``table``, ``codeunit``...),
    the publisher's name (last segment) or id, the event and element names, and the subscriber."""

    object_type: str
    object_name: str | None
    object_id: int | None
    event: str
    element: str
    procedure: str
    line: int


@dataclass(frozen=True, slots=True)
class FileIndex:
    """Everything the index knows about one file."""

    objects: tuple[ObjectDecl, ...]
    procedures: tuple[ProcDecl, ...]
    subscribers: tuple[SubscriberDecl, ...]
    has_markers: bool
    lines: int
    marker_lines: tuple[int, ...] = ()

    def signature(self) -> tuple[object, ...]:
        """What demand-driven analysis reads of the index (the procedure line ranges excluded), names
        case-folded as AL compares them (``nodes.norm``, whose module the index does not load)."""
        return (self.objects, tuple((p.kind, p.name.casefold(), p.publisher, p.returns.casefold())
                                    for p in self.procedures),
                self.subscribers, self.has_markers, self.marker_lines)


def opaque_ranges(text: str) -> tuple[list[int], list[int]]:
    """Start and end offsets of block comments and multi-line literals (only those with a newline)."""
    starts: list[int] = []
    ends: list[int] = []
    if "/*" not in text and "@'" not in text:
        return starts, ends
    for m in _OPAQUE.finditer(text):
        s = m.group()
        if s[0] in "/@" and s[:2] in ("/*", "@'") and "\n" in s:
            starts.append(m.start())
            ends.append(m.end())
    return starts, ends


def _inside(pos: int, starts: list[int], ends: list[int]) -> bool:
    i = bisect.bisect_right(starts, pos) - 1
    return i >= 0 and pos < ends[i]


class _Lines:
    """Offset -> 1-based line number, by counting newlines from the offset asked before (each of
    :func:`index_text`'s loops asks in increasing order): a file has many lines and few headers."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.count = text.count("\n") + 1
        self.offset, self.number = 0, 1

    def line(self, offset: int) -> int:
        if offset < self.offset:
            self.offset, self.number = 0, 1
        self.number += self.text.count("\n", self.offset, offset)
        self.offset = offset
        return self.number


def _int(text: str | None) -> int | None:
    return int(text) if text else None


def index_text(text: str) -> FileIndex:
    """Index preprocessed AL text (directives already applied)."""
    src = "\n" + text  # every header then follows a newline; offsets in ``src`` are one past ``text``'s
    low = src.lower()
    if len(low) != len(src):  # a few non-ASCII letters change length when lower-cased
        low = src.translate(_ASCII_LOWER)
    starts, ends = opaque_ranges(src)
    lines = _Lines(src)

    def line_of(offset: int) -> int:
        return lines.line(offset) - 1

    def group(m: re.Match[str], name: str) -> str | None:
        return src[m.start(name):m.end(name)] if m.start(name) >= 0 else None

    objects: list[ObjectDecl] = []
    for m in _OBJECT.finditer(low):
        if _inside(m.start(), starts, ends):
            continue
        implements = tuple(last_segment(p) for p in _split_list(_COMMENT.sub(" ", group(m, "implements") or "")))
        extends = group(m, "extends")
        objects.append(ObjectDecl(m.group("kind"), _int(m.group("id")), unquote(group(m, "name") or ""),
                                  last_segment(extends) if extends else None, implements,
                                  line_of(m.start("kind"))))
    headers: list[tuple[int, str, re.Match[str]]] = []
    for m in _PROC.finditer(low):
        if not _inside(m.start(), starts, ends):
            headers.append((line_of(m.start("kind")), unquote(group(m, "name") or ""), m))
    publishers = [line_of(m.start()) for m in _PUBLISHER.finditer(low) if not _inside(m.start(), starts, ends)]
    procs: list[ProcDecl] = []
    object_lines = [o.line for o in objects]
    last_line = lines.count - 1
    for i, (line, name, m) in enumerate(headers):
        end = headers[i + 1][0] - 1 if i + 1 < len(headers) else last_line
        nxt = bisect.bisect_right(object_lines, line)
        if nxt < len(object_lines):
            end = min(end, object_lines[nxt] - 1)
        previous = headers[i - 1][0] if i else 0
        k = bisect.bisect_right(publishers, previous)
        publisher = k < len(publishers) and publishers[k] <= line
        procs.append(ProcDecl(m.group("kind"), name, m.group("access") or "", line, max(end, line), publisher,
                              _returned(low, src, m) if m.group("kind") == "procedure" else ""))
    subscribers: list[SubscriberDecl] = []
    header_lines = [h[0] for h in headers]
    for m in _SUBSCRIBER.finditer(low):
        if _inside(m.start(), starts, ends):
            continue
        line = line_of(m.start())
        k = bisect.bisect_left(header_lines, line)
        proc = headers[k][1] if k < len(headers) else ""
        name = group(m, "name")
        subscribers.append(SubscriberDecl(
            m.group("type"), last_segment(name) if name else None, _int(m.group("id")),
            (group(m, "event") or "").replace("''", "'") or (group(m, "event_quoted") or "").replace('""', '"')
            or group(m, "event_name") or "",  # 'OnAfterInsertEvent', "OnAfterInsertEvent" or OnAfterInsertEvent
            (group(m, "element") or "").replace("''", "'"),
            proc, line))
    markers = tuple(sorted({line_of(m.start()) for m in _MARKER.finditer(low)})) if "background" in low else ()
    return FileIndex(tuple(objects), tuple(procs), tuple(subscribers), bool(markers), last_line if text else 0,
                     markers)


def _returned(low: str, src: str, header: re.Match[str]) -> str:
    """The object a procedure header returns (see :attr:`ProcDecl.returns`); empty for any other type."""
    m = _RETURNS.match(low, header.end())
    if m is None:
        return ""
    if m.group("id"):
        return type_id_reference(m.group("word"), m.group("id"))
    return last_segment(src[m.start("name"):m.end("name")])


_ASCII_LOWER = str.maketrans({chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)})


def _split_list(text: str) -> list[str]:
    """Split ``A, "B, C", D`` at commas outside quotes."""
    out: list[str] = []
    cur: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


fast_pickling(globals())
