"""Lists: a clause that announces a list is not the list.

"根据国家行动计划…《实施方案》提出了要重点实施的'四大行动'" opens a section whose clauses are
the actions ("一是实施新一轮农业转移人口市民化行动…", "二是…"); a document's opening announces
all of the document. Asked for the members of a list ("四大行动分别是什么?", "重点实施哪几项
行动?", "What are the four major actions…?"), the announcement won on the words it shares
with the question, and the members came second or later. ``members_first`` puts the best
member first; the announcement stays among the others.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from qa.ingest.chunk import Chunk

# the members of a list, asked for: "分别是什么", "哪几项", "哪四大", "四大行动有哪些", "what are
# the four"; not a period ("哪几年", "哪几个年度"), not "分别为多少" (figures), not "十几大城市"
_NUMERAL = "两二三四五六七八九十"
_NUMBER_EN = r"two|three|four|five|six|seven|eight|nine|ten|\d+"
MEMBERS = re.compile(
    rf"分别(是|有|为|包括)(?!.{{0,3}}多少)|哪几(?!个?(年|天|月|日|号))|哪[{_NUMERAL}](大|项|个|条|类|种|方面)"
    rf"|(?<![十百千万\d])几大|[{_NUMERAL}\d](大|项)[^,,。?]{{0,8}}(有哪些|包括哪些|是什么|是哪些)"
    rf"|\bwhat are the ({_NUMBER_EN})\b|\bwhich ({_NUMBER_EN})\b|\bname the ({_NUMBER_EN})\b|\blist (the|all)\b"
)
DEPTH = 10  # a member ranked below this is too weak a match to put first


def asks_members(text: str) -> bool:
    """Does ``text`` (a normalized, lower-cased question) ask for the members of a list?"""
    return bool(MEMBERS.search(text))


def below(parent: Chunk, child: Chunk) -> bool:
    """Is ``child`` in a section below ``parent``'s own, in the same document?"""
    n = len(parent.section)
    return child.doc_id == parent.doc_id and len(child.section) > n and child.section[:n] == parent.section


def _after(chunks: Sequence[Chunk], pos: int) -> int:
    """The position after the clause at ``pos`` and its further parts (a long clause is cut)."""
    return pos + 1 + max(0, chunks[pos].parts - chunks[pos].part)


def introduces(chunks: Sequence[Chunk], pos: int) -> bool:
    """Does the clause at ``pos`` open what follows it: is the clause after it (and its parts)
    in a section below its own (a section's opening paragraph, a document's opening)?"""
    nxt = _after(chunks, pos)
    return nxt < len(chunks) and below(chunks[pos], chunks[nxt])


def members_of(chunks: Sequence[Chunk], pos: int) -> range:
    """The positions of what the clause at ``pos`` announces: the unbroken run of clauses below
    it that follows it (a heading repeated later in the document starts no run of its own)."""
    end = _after(chunks, pos)
    while end < len(chunks) and below(chunks[pos], chunks[end]):
        end += 1
    return range(_after(chunks, pos), end)


def members_first(order: list[int], position: Callable[[int], int], chunks: Sequence[Chunk]) -> list[int]:
    """``order`` (candidate indexes, best first; ``position`` gives a candidate's clause) with
    the best member of the list its leader announces put first. A member is an item of the
    list: in the run below the leader, one level down (a document's opening announces its
    sections, whose items are two levels down), the first part of its clause (the part that
    names it), among the first ``DEPTH`` candidates; an item one level further down serves
    when no item of that level is a candidate. Unchanged when the leader announces nothing or
    no member is among them."""
    if not order or not introduces(chunks, position(order[0])):
        return order
    leader = chunks[position(order[0])]
    run = members_of(chunks, position(order[0]))
    level = max(len(leader.section) + 1, 2)
    found = [i for i in order[1:DEPTH] if position(i) in run and chunks[position(i)].part == 1]
    member = next((i for i in found if len(chunks[position(i)].section) == level), None)
    if member is None:
        member = next((i for i in found if len(chunks[position(i)].section) > level), None)
    if member is None:
        return order
    return [member, *(i for i in order if i != member)]
