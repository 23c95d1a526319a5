"""Chunk a normalized document by clause, following its numbering.

Markers, from outermost to innermost rank::

    第X编 › 第X章 › 第X节 › 第X条 › 一、 › 一是 / (一) › 1. / 1、 › (1) › ——

A marker counts where it starts a line, or inline after a sentence end (file 000
has no line breaks at all). Numbered markers must also continue their sequence
(the first of a kind, 1, or the previous number + 1), which keeps "一、二、三" in
running prose or "2.5" in a figure from opening a clause.

Each clause (the text from one marker to the next) becomes a chunk carrying its
section path. Chunks tile the document: their spans are contiguous and together
cover all of it, so nothing is lost. A clause longer than ``max_chars`` is split
at sentence ends; a heading with no body of its own is merged into its first
child; a tiny tail is merged into the chunk before it; the preamble and a
sign-off (issuer and date lines at the end) are chunks of their own.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field, replace

from qa.ingest.kinds import BODY, HEADING, PREAMBLE, SIGNOFF, line_kinds
from qa.ingest.read import Document
from qa.text import DATE_CN, DATE_ISO, HAN, SENTENCE_END, SPLIT_AFTER_SENTENCE

CHUNKER_VERSION = 5  # 4: chunks carry their kind (qa.ingest.kinds); 5: and their PDF page

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN = "零〇一二两三四五六七八九十百千"


def cn_to_int(s: str) -> int:
    """Chinese or Arabic numeral → int: '二十五' → 25, '十' → 10, '12' → 12."""
    if s.isdigit():
        return int(s)
    total, current = 0, 0
    for ch in s:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            total += (current or 1) * CN_UNITS[ch]
            current = 0
        else:
            raise ValueError(f"not a numeral: {s}")
    return total + current


@dataclass(frozen=True)
class MarkerKind:
    name: str
    rank: int
    pattern: re.Pattern[str]
    numbered: bool = True
    inline: bool = True  # may start mid-line after a sentence end
    anywhere: bool = False  # distinctive enough to start anywhere, given the sequence fits


KINDS: tuple[MarkerKind, ...] = (
    MarkerKind("bian", 0, re.compile(r"第([" + _CN + r"\d]{1,5})编")),
    MarkerKind("zhang", 1, re.compile(r"第([" + _CN + r"\d]{1,5})章")),
    MarkerKind("jie", 2, re.compile(r"第([" + _CN + r"\d]{1,5})节")),
    MarkerKind("tiao", 3, re.compile(r"第([" + _CN + r"\d]{1,6})条")),
    MarkerKind("cn_dun", 4, re.compile(r"([" + _CN + r"]{1,4})、")),
    MarkerKind("cn_shi", 5, re.compile(r"([" + _CN + r"]{1,4})是(?=[" + HAN + "])"), inline=False),
    MarkerKind("cn_paren", 5, re.compile(r"\(([" + _CN + r"]{1,4})\)"), anywhere=True),
    MarkerKind("arabic", 6, re.compile(r"(?<![\d.])(\d{1,2})(?:\.(?!\d)|、)")),
    MarkerKind("arabic_paren", 7, re.compile(r"\((\d{1,2})\)"), anywhere=True),
    MarkerKind("dash", 8, re.compile(r"——(?=[" + HAN + "])"), numbered=False),
)
_MARKER_AFTER = SENTENCE_END + ":"  # an inline marker may follow a sentence end or a colon


@dataclass(frozen=True, slots=True)  # slots: a million clauses stay ~100 MB smaller
class Chunk:
    """One clause (or part of one) with its place in the document."""

    chunk_id: str
    doc_id: str
    seq: int
    section: tuple[str, ...]  # headings from outermost to the clause's own
    text: str  # normalized (simplified) text of the clause, as in the document
    start: int  # offsets into the normalized text
    end: int
    orig_start: int  # offsets into the original text as written
    orig_end: int
    kind: str  # qa.ingest.kinds: body, heading, preamble, signoff, contact, furniture
    part: int = 1
    parts: int = 1
    page: int = 0  # the PDF page the clause starts on (1-based); 0 for formats without pages

    @property
    def section_path(self) -> str:
        return " › ".join(self.section)


@dataclass
class _Marker:
    kind: MarkerKind
    start: int
    number: int | None
    heading: str = ""


@dataclass
class _Segment:
    start: int
    end: int
    path: tuple[str, ...]
    kind: str
    marker: _Marker | None = None
    children: int = field(default=0)


def _inline_ok(text: str, pos: int) -> bool:
    """A marker may start here: at the start of a line or right after a sentence end."""
    i = pos - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n" or text[i] in _MARKER_AFTER or text[i] in "”」)"


def _at_line_start(text: str, pos: int) -> bool:
    i = pos - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    return i < 0 or text[i] == "\n"


def find_markers(text: str) -> list[_Marker]:
    """Clause markers in ``text``, in order, after the position and sequence checks."""
    candidates: list[_Marker] = []
    for kind in KINDS:
        for m in kind.pattern.finditer(text):
            if kind.anywhere:
                ok = True
            elif kind.inline:
                ok = _inline_ok(text, m.start())
            else:
                ok = _at_line_start(text, m.start())
            if not ok:
                continue
            number = None
            if kind.numbered:
                try:
                    number = cn_to_int(m.group(1))
                except ValueError:
                    continue
            candidates.append(_Marker(kind, m.start(), number))
    candidates.sort(key=lambda mk: (mk.start, mk.kind.rank))
    accepted: list[_Marker] = []
    last_number: dict[str, int] = {}
    taken_until = -1
    for mk in candidates:
        if mk.start < taken_until:
            continue
        if mk.number is not None:
            prev = last_number.get(mk.kind.name)
            if not (mk.number == 1 or (prev is not None and mk.number == prev + 1)):
                continue
            last_number[mk.kind.name] = mk.number
        accepted.append(mk)
        taken_until = mk.start + 1
    for mk in accepted:
        mk.heading = _heading(text, mk.start, accepted)
    return accepted


def _heading(text: str, start: int, markers: list[_Marker]) -> str:
    """A marker's heading: up to the first line or sentence end or the next marker, capped."""
    nxt = min((m.start for m in markers if m.start > start), default=len(text))
    end = min(nxt, len(text))
    m = re.search(r"[\n。;:]", text[start:end])
    if m:
        end = start + m.start()
    heading = text[start:end].strip()
    if len(heading) > 30:
        heading = heading[:30] + "…"
    return heading


def _signoff_start(text: str, start: int, end: int) -> int | None:
    """Start of a trailing sign-off (short issuer / date lines) inside [start, end)."""
    body = text[start:end]
    lines = body.rstrip().split("\n")
    if len(lines) < 2:
        return None
    tail = 0
    for line in reversed(lines):
        s = line.strip()
        if not s:
            tail += 1
            continue
        if len(s) <= 30 and not re.search(r"[。;]", s):
            tail += 1
            continue
        break
    tail_lines = [ln for ln in lines[len(lines) - tail :] if ln.strip()]
    if not tail_lines or not (DATE_CN.search(tail_lines[-1]) or DATE_ISO.search(tail_lines[-1])):
        return None
    if tail >= len(lines):
        return None
    offset = len("\n".join(lines[: len(lines) - tail])) + 1
    return start + offset


def _segments(text: str, markers: list[_Marker]) -> list[_Segment]:
    """Cut ``text`` into contiguous segments at markers, each with its section path."""
    segs: list[_Segment] = []
    first = markers[0].start if markers else len(text)
    if text[:first].strip():
        segs.extend(_by_line_kind(text, 0, first))
    elif first > 0 and markers:
        markers[0] = _Marker(markers[0].kind, 0, markers[0].number, markers[0].heading)
    stack: list[_Marker] = []
    for i, mk in enumerate(markers):
        end = markers[i + 1].start if i + 1 < len(markers) else len(text)
        while stack and stack[-1].kind.rank >= mk.kind.rank:
            stack.pop()
        stack.append(mk)
        path = tuple(m.heading for m in stack)
        if not mk.kind.numbered:
            # a "——" principle is one paragraph; what follows it returns to the parent
            nl = text.find("\n", mk.start, end)
            if nl != -1 and text[nl:end].strip():
                segs.append(_Segment(mk.start, nl, path, BODY, mk))
                segs.append(_Segment(nl, end, path[:-1], BODY))
                stack.pop()
                continue
        segs.append(_Segment(mk.start, end, path, BODY, mk))
    if segs:
        last = segs[-1]
        so = _signoff_start(text, last.start, last.end)
        if so is not None and so > last.start and text[last.start : so].strip():
            segs[-1] = _Segment(last.start, so, last.path, last.kind, last.marker)
            segs.extend(_by_line_kind(text, so, last.end, default=SIGNOFF))
    return segs


def _by_line_kind(text: str, start: int, end: int, default: str = PREAMBLE) -> list[_Segment]:
    """Cut the text around the clauses into runs of lines of one kind (``qa.ingest.kinds``):
    a title, a preamble, a sign-off, a contact block, page furniture."""
    lines = text[start:end].split("\n")
    kinds = line_kinds(lines)
    if default != PREAMBLE:
        kinds = [default if k == PREAMBLE else k for k in kinds]
    # a line too short to be anything on its own ("附件") goes with the next run
    for i in range(len(lines) - 2, -1, -1):
        if 0 < len(lines[i].strip()) < 4 and kinds[i] in (PREAMBLE, HEADING):
            kinds[i] = kinds[i + 1]
    segs: list[_Segment] = []
    pos = start
    for line, kind in zip(lines, kinds, strict=True):
        nxt = min(pos + len(line) + 1, end)
        if segs and segs[-1].kind == kind:
            segs[-1] = _Segment(segs[-1].start, nxt, (), kind)
        else:
            segs.append(_Segment(pos, nxt, (), kind))
        pos = nxt
    return [s for s in segs if s.end > s.start]


def _merge_small(text: str, segs: list[_Segment], min_chars: int) -> list[_Segment]:
    """Merge heading-only segments into the next one and tiny tails into the previous."""
    out: list[_Segment] = []
    carry: _Segment | None = None
    for seg in segs:
        if carry is not None:
            seg = _Segment(carry.start, seg.end, seg.path, seg.kind, seg.marker)
            carry = None
        body = text[seg.start : seg.end].strip()
        heading = seg.marker.heading if seg.marker else ""
        heading_only = seg.marker is not None and len(body) <= len(heading.rstrip("…")) + 1
        if heading_only and seg is not segs[-1]:
            carry = seg
            continue
        if len(body) < min_chars and out and seg.kind == out[-1].kind == BODY and not heading_only:
            prev = out[-1]
            out[-1] = _Segment(prev.start, seg.end, prev.path, prev.kind, prev.marker)
            continue
        out.append(seg)
    if carry is not None:
        if out:
            prev = out[-1]
            out[-1] = _Segment(prev.start, carry.end, prev.path, prev.kind, prev.marker)
        else:
            out.append(carry)
    return out


def split_sentences(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split [start, end) at sentence ends into spans of at most ``max_chars`` where possible."""
    if end - start <= max_chars:
        return [(start, end)]
    cuts = [start] + [start + m.start() for m in SPLIT_AFTER_SENTENCE.finditer(text[start:end]) if 0 < m.start() < end - start]
    cuts = [*sorted(set(cuts)), end]
    spans: list[tuple[int, int]] = []
    cur = start
    for a, b in itertools.pairwise(cuts):
        if b - cur > max_chars and a > cur:
            spans.append((cur, a))
            cur = a
    spans.append((cur, end))
    # a sentence longer than max_chars stays whole rather than being cut mid-sentence,
    # unless it is far too long for the model: then cut at commas, then hard.
    out: list[tuple[int, int]] = []
    for a, b in spans:
        while b - a > 2 * max_chars:
            window = text[a : a + max_chars]
            k = max(window.rfind(","), window.rfind("、"))
            cut = a + (k + 1 if k > max_chars // 2 else max_chars)
            out.append((a, cut))
            a = cut
        out.append((a, b))
    # fold a tiny last part back into the one before it
    if len(out) > 1 and out[-1][1] - out[-1][0] < max_chars // 5:
        out[-2:] = [(out[-2][0], out[-1][1])]
    return out


def chunk_document(doc: Document, max_chars: int = 360, min_chars: int = 12) -> list[Chunk]:
    """Clause chunks of ``doc`` that tile its normalized text."""
    text = doc.text
    markers = find_markers(text)
    segs = _merge_small(text, _segments(text, markers), min_chars)
    chunks: list[Chunk] = []
    for seg in segs:
        spans = split_sentences(text, seg.start, seg.end, max_chars)
        for k, (a, b) in enumerate(spans, start=1):
            body = text[a:b]
            if not body.strip():
                if chunks:  # whitespace only: extend the previous chunk so spans stay contiguous
                    prev = chunks[-1]
                    o0, o1 = doc.norm.original_span(prev.start, b)
                    chunks[-1] = replace(prev, end=b, orig_end=o1)
                continue
            o0, o1 = doc.norm.original_span(a, b)
            kind = seg.kind
            seq = len(chunks)
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.doc_id}#{seq:04d}",
                    doc_id=doc.doc_id,
                    seq=seq,
                    section=seg.path,
                    text=body.strip(),
                    start=a,
                    end=b,
                    orig_start=o0,
                    orig_end=o1,
                    kind=kind,
                    part=k,
                    parts=len(spans),
                    page=bisect.bisect_right(doc.pages, o0) if doc.pages else 0,
                )
            )
    return chunks
