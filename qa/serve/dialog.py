"""Follow-up questions in a conversation.

Each question is searched on its own words, unless it is clearly a follow-up:
it opens with a word that points back ("那…", "还有…", "这个…", "what about…")
or is a short question ending in "呢". A follow-up is searched together with the
previous question, so "那长沙呢?" after "外地人在太原落户需要什么条件?" looks
for 落户 clauses about 长沙.
"""

from __future__ import annotations

import re

from qa.search.gazetteer import places_in

_OPENERS = (
    "那么", "那如果", "那要是", "那", "还有", "另外", "此外", "它们", "它", "这个", "那个", "这些", "那些",
    "其中", "同样", "如果是", "要是", "具体", "然后",
)  # fmt: skip
_EN_OPENERS = ("what about", "how about", "and ", "also ", "what if")
SHORT = 10


def is_followup(question: str) -> bool:
    q = question.strip()
    if not q:
        return False
    low = q.lower()
    if q.startswith(_OPENERS) or low.startswith(_EN_OPENERS):
        return True
    core = re.sub(r"[?？!！。.\s]+$", "", q)
    return len(core) <= SHORT and core.endswith("呢")


def retrieval_text(question: str, previous: str | None) -> tuple[str, bool]:
    """(text to search, whether it was read as a follow-up of ``previous``).

    A follow-up that names a place replaces the places of the previous question:
    "那湖南呢?" after "外地人在太原落户需要什么条件?" searches 落户 conditions in 湖南, not 太原."""
    if previous and is_followup(question):
        if followup_regions(question):
            for place in sorted(places_in(previous), key=lambda p: -len(p.name)):
                previous = re.sub(re.escape(place.name), "", previous, flags=re.IGNORECASE)
        return f"{previous} {question}", True
    return question, False


def followup_regions(question: str) -> tuple[str, ...]:
    """The regions a follow-up names ("那湖南呢?" → 湖南), to search their documents first."""
    return tuple(dict.fromkeys(p.province for p in places_in(question)))
