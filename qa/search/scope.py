"""Rules that say what the documents cannot answer: places, years and details they do not hold.

Each returns ``Reason``s (``qa.search.judge``): a place no document covers (the search is
then kept to national documents, which apply everywhere), a year or edition no document
in scope covers, a document quoted by name that is not in the corpus, a figure or
procedure the clauses shown do not state.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence

from qa.search.asks import FINISHED, OFFICE_WORDS, content_words, said_near, states
from qa.search.filters import Filters
from qa.search.gazetteer import NATIONAL, Place
from qa.search.judge import DETAIL_MESSAGES, Reason
from qa.search.places import uncovered

_YEARS = re.compile(r"(?<!\d)((?:19[89]|20\d)\d)\s*(?:(?:—|-|－|至|到)\s*((?:19[89]|20\d)\d))?\s*年")


_PLAN_YEAR = re.compile(r"(?<![\d—\-－至到])(?:19[89]|20\d)\d\s*年(?![)）\d])")


def is_yearly(title: str) -> bool:
    """A one-year plan: its title names one year as part of its name ("关于印发2019年新型城镇化
    建设重点任务的通知"), not as an edition in brackets ("实施意见(2016年)") or a span."""
    return len(_PLAN_YEAR.findall(title)) == 1 and not any(m.group(2) for m in _YEARS.finditer(title))


def edition_of(title: str) -> int | None:
    """The year of a one-year plan (``is_yearly``), else None."""
    return int(_PLAN_YEAR.findall(title)[0][:4]) if is_yearly(title) else None


def years_of(texts: Iterable[str], year: int | None) -> set[int]:
    """Years a document covers: its own, and every year or span of years its text names."""
    out = {year} if year else set()
    for text in texts:
        for m in _YEARS.finditer(text):
            a = int(m.group(1))
            b = int(m.group(2)) if m.group(2) else a
            out.update(range(a, min(b, a + 20) + 1))
    return out


def place_scope(places: Sequence[Place], covered: set[str]) -> tuple[Filters | None, list[Reason]]:
    """Scope for a question naming ``places``: national documents only when every named
    region is missing from the corpus (with a reason), else no change."""
    missing = uncovered(places, covered)
    if not missing:
        return None, []
    names = "、".join(dict.fromkeys(p.name for p in missing))
    named_covered = [p for p in places if p not in missing and p.province != NATIONAL]
    if named_covered:
        return None, [Reason("place_not_covered", f"所收录文件中没有{names}的文件")]
    scope = Filters(regions=(NATIONAL,)) if NATIONAL in covered else None
    tail = "；以下是国家层面的相关规定" if scope else ""
    return scope, [Reason("place_not_covered", f"所收录文件中没有{names}的文件{tail}")]


_BRACKETS = str.maketrans("", "", "《》()（）〔〕[]【】 —-－·")


def document_reasons(quoted: Sequence[str], titles: Sequence[str]) -> list[Reason]:
    """A reason for each document the question names in 《》 that is not in the corpus
    (a clause may cite it, but its own text is not there to quote)."""
    held = [t.translate(_BRACKETS) for t in titles]
    return [
        Reason("document_not_covered", f"所收录文件中没有《{name}》本身")
        for name in quoted
        if not any(name.translate(_BRACKETS) in t for t in held)
    ]


def year_reasons(
    years: Sequence[int],
    scope: Collection[str],
    doc_years: Mapping[str, set[int]],
    label: str,
    periods: Sequence[tuple[str, int, int]] = (),
) -> list[Reason]:
    """A reason for each year no document in ``scope`` covers, and for each five-year-plan
    period (``asks.periods_in``) none of whose years one covers."""
    held = set().union(*(doc_years.get(d, set()) for d in scope)) if scope else set()
    where = f"{label}的" if label else ""
    return [
        *(Reason("year_not_covered", f"所收录的{where}文件没有涉及{y}年的内容") for y in years if y not in held),
        *(
            Reason("year_not_covered", f"所收录的{where}文件没有涉及{name}时期({a}—{b}年)的内容")
            for name, a, b in periods
            if not held & set(range(a, b + 1))
        ),
    ]


def edition_reasons(editions: Sequence[int], scope: Collection[str], edition: Mapping[str, int], label: str) -> list[Reason]:
    """A reason for each yearly plan's edition asked for ("国家发改委2023年…重点任务") that no
    one-year plan in ``scope`` is (``edition``: document → its year): a five-year plan that
    names 2023 is not that year's plan."""
    held = {edition[d] for d in scope if d in edition}
    where = f"{label}的" if label else ""
    return [
        Reason("year_not_covered", f"所收录的文件中没有{where}{y}年度计划(重点任务、工作要点)") for y in editions if y not in held
    ]


def detail_reasons(
    details: Sequence[str],
    shown: Sequence[str],
    words: Sequence[str] = (),
    yearly: Sequence[bool] = (),
    anchors: Sequence[str] | None = None,
    parts: Sequence[bool] = (),
) -> list[Reason]:
    """A reason for each detail asked for that none of the ``shown`` clauses states near
    one of the question's topic ``words`` ("多少个老旧小区": a count beside 老旧小区), given
    rarest first.
    ``anchors``: the more specific of those words, which a clause body must state the detail
    beside (a count beside 改造 is not one of 城中村); ``parts``: which shown chunks are parts
    of a document outside its clauses (its opening, sign-off): what they state, such as a
    date, they state of the document itself, beside whatever words.
    ``yearly``: which shown clauses are of one year's plan; such a clause that says a work
    will be finished dates it ("青岛胶东国际机场建成投用" in the 2019 tasks is 2019's)."""
    in_body = words if anchors is None else anchors
    near = [() if i < len(parts) and parts[i] else in_body for i in range(len(shown))]
    # the work asked about: the question's most specific word ("雄忻", not 高铁 of any railway);
    # "建成" is what is asked, not what of
    work = [w for w in content_words(words) if not FINISHED.search(w)][:1]
    dated = "finish_year" in details and any(y and said_near(FINISHED, t, work) for t, y in zip(shown, yearly, strict=False))
    # a department is named in the sentence that gives it the work, any of the question's words
    # being that work: the rarer words of an English question are often stray renderings
    # ("work" → 劳动), and the sentence is narrow enough; but not by the question's own 部门
    work_words = [w for w in words if not OFFICE_WORDS.search(w)]
    whole = [() if i < len(parts) and parts[i] else work_words for i in range(len(shown))]
    return [
        Reason("detail_not_stated", DETAIL_MESSAGES[d])
        for d in details
        if not (d == "finish_year" and dated)
        and not any(states(d, t, w) for t, w in zip(shown, whole if d == "office" else near, strict=True))
    ]
