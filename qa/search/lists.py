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

# the members of a list, asked for: "分别是什么", "哪几项", "哪四大", "几大", "what are the four";
# not "哪几年" (a period), which a document's opening answers
_NUMERAL = "两二三四五六七八九十"
_NUMBER_EN = "two|three|four|five|six|seven|eight|nine|ten"
MEMBERS = re.compile(
    rf"分别(是|有|为|包括)|哪几(?![年天月])|哪[{_NUMERAL}](大|项|个|条|类|种|方面)|几大"
    rf"|\bwhat are the ({_NUMBER_EN})\b|\bwhich ({_NUMBER_EN})\b|\bname the ({_NUMBER_EN})\b"
)


def asks_members(text: str) -> bool:
    """Does ``text`` (a normalized, lower-cased question) ask for the members of a list?"""
    return bool(MEMBERS.search(text))


def below(parent: Chunk, child: Chunk) -> bool:
    """Is ``child`` in a section below ``parent``'s own, in the same document?"""
    n = len(parent.section)
    return child.doc_id == parent.doc_id and len(child.section) > n and child.section[:n] == parent.section


def introduces(chunks: Sequence[Chunk], pos: int) -> bool:
    """Does the clause at ``pos`` open what follows it: is the next clause of its document in a
    section below its own (a section's opening paragraph, a document's opening)?"""
    return pos + 1 < len(chunks) and below(chunks[pos], chunks[pos + 1])


def is_member(leader: Chunk, chunk: Chunk) -> bool:
    """Is ``chunk`` an item of a list ``leader`` announces: below it, and in a section of a
    section ("三、四大行动 › 二是…")? A document's opening announces every section; of those,
    only the items of a list are members ("一、起草背景" is none)."""
    return below(leader, chunk) and len(chunk.section) >= 2


def members_first(order: list[int], chunk_of: Callable[[int], Chunk], opens: Callable[[int], bool]) -> list[int]:
    """``order`` (candidate indexes, best first) with the best member of the list its leader
    announces put first: the best-ranked candidate that is a member (``is_member``) and
    announces nothing itself. Unchanged when the leader announces nothing or no member is a
    candidate."""
    if not order or not opens(order[0]):
        return order
    leader = chunk_of(order[0])
    member = next((i for i in order[1:] if is_member(leader, chunk_of(i)) and not opens(i)), None)
    if member is None:
        return order
    return [member, *(i for i in order if i != member)]
