"""A document's metadata, read by rules from its own text, and sidecar overrides.

Title, issuing body, region, year and document number (文号) are found on the
normalized text, and so are the facts a document's validity depends on: its stage
(征求意见稿, 试行, 暂行, from the title), 成文日期 (the sign-off date), 施行日期
("自2024年1月1日起施行", "自印发之日起施行"), 有效期 ("有效期至…", "有效期5年") and the
documents it repeals ("…同时废止", naming them by title or 文号). ``<file>.meta.json``
beside a file overrides or fills any of them.
The sidecar is checked against :class:`Sidecar` (pydantic): a wrong field or type is a
:class:`SidecarError` naming the file and the field, never a crash later on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from qa.text import DATE_CN, DATE_ISO, HAN

SIDECAR = ".meta.json"
META_FIELDS = ("title", "issuer", "region", "year", "doc_number", "stage", "issued", "effective", "expires", "replaces")
STAGES = ("征求意见稿", "试行", "暂行")

PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)  # fmt: skip
_DOC_KINDS = "意见|通知|方案|办法|规划|计划|要点|条例|决定|函|规定|细则|纲要|解读|公告|批复|法"
_ORG_SUFFIX = r"(?:国务院|人民政府|办公室|办公厅|委员会|领导小组|厅|局|部|委|政府)"
_DOC_NUMBER = re.compile(rf"^[{HAN}]{{1,10}}[〔\[(]\d{{4}}[〕\])]\s*\d{{1,4}}\s*号$")
_BOILERPLATE = re.compile(r"当前位置|首页\s*>|分类\s*:|浏览\s*:|来源\s*:|日期\s*:")


@dataclass(frozen=True)
class Metadata:
    title: str
    issuer: str
    region: str
    year: int | None
    doc_number: str
    stage: str = ""  # one of STAGES, or "" for a final text
    issued: str = ""  # 成文日期, ISO (YYYY-MM-DD), "" if not found
    effective: str = ""  # 施行日期, ISO
    expires: str = ""  # the last day of its 有效期, ISO
    replaces: tuple[str, ...] = ()  # titles or 文号 of the documents it repeals


def metadata_of(obj: object) -> dict:
    """The ``Metadata`` fields as ``obj`` holds them (a Metadata, a Document, a catalog
    entry): what every record of a document copies, named once."""
    return {f.name: getattr(obj, f.name) for f in fields(Metadata)}


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def find_title(text: str) -> str:
    """The document's title: its first substantive line, or the leading title phrase."""
    for line in _lines(text)[:6]:
        if _BOILERPLATE.search(line):
            continue
        m = re.match(r"^(.{4,80}?(?:" + _DOC_KINDS + r")(?:》)?(?:\(\d{4}(?:—\d{4})?年\))?)", line)
        if len(line) <= 80:
            return line
        if m:  # one long line (no line breaks): keep the title phrase only
            return m.group(1)
        return line[:40]
    return ""


def find_issuer(text: str, title: str) -> str:
    """Issuing body: a sign-off line followed by a date, a 来源 line, or the title's prefix."""
    lines = _lines(text)
    for i, line in enumerate(lines[:-1]):
        if len(line) <= 30 and re.fullmatch(f"[{HAN}]+" + _ORG_SUFFIX, line) and DATE_CN.fullmatch(lines[i + 1]):
            return line
    m = re.search(rf"来源\s*:\s*([{HAN}]+?)(?:门户网站|网站|官网)?(?:\s|$)", text[:400])
    if m:
        return m.group(1)
    m = re.match(rf"^《?([{HAN}]{{2,30}}?" + _ORG_SUFFIX + r")", title)
    if m:
        return m.group(1)
    m = re.match(rf"^([{HAN}]{{2,12}}?)关于", title)
    return m.group(1) if m else ""


def find_region(title: str, issuer: str, text: str) -> str:
    for source in (issuer, title, text[:300]):
        for prov in PROVINCES:
            if prov in source:
                return prov
        if "国务院" in source or source.startswith("国家"):
            return "全国"
    return ""


def find_doc_number(text: str) -> str:
    for line in _lines(text)[:10]:
        compact = line.replace(" ", "")
        if _DOC_NUMBER.match(compact):
            return compact
    return ""


def find_year(text: str, doc_number: str, title: str) -> int | None:
    m = re.search(r"〔(\d{4})〕", doc_number)
    if m:
        return int(m.group(1))
    lines = _lines(text)
    head_and_tail = lines[:12] + lines[-4:]
    for line in head_and_tail:
        if len(line) > 40:
            continue
        m = DATE_CN.fullmatch(line) or DATE_ISO.search(line)
        if m:
            return int(m.group(1))
    m = re.search(r"(\d{4})(?:年|—\d{4}年)", title)
    return int(m.group(1)) if m else None


_DATE = r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"
_EFFECTIVE = re.compile(r"自\s*(?:" + _DATE + r"|(印发|发布|公布)之日)\s*起\s*(?:施行|实施|执行|生效)")
_EXPIRES_ON = re.compile(r"有效期(?:至|到)\s*" + _DATE)
_EXPIRES_YEARS = re.compile(r"有效期(?:为)?\s*([一二三四五六七八九十\d]{1,3})\s*年")
_REPEAL = re.compile(r"[^。;]*废止[^。;]*")
_NAMED = re.compile(rf"《([^》]{{4,80}})》|([{HAN}]{{1,10}}[〔\[(]\d{{4}}[〕\])]\s*\d{{1,4}}\s*号)")
_YEARS_CN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


def _iso(y: str, m: str, d: str) -> str:
    try:
        return dt.date(int(y), int(m), int(d)).isoformat()
    except ValueError:
        return ""


def find_stage(title: str) -> str:
    """征求意见稿, 试行 or 暂行 when the title says so (a body citing 《居住证暂行条例》 does not)."""
    bare = re.sub(r"《[^》]*》", lambda m: m.group(0) if "征求意见稿" in m.group(0) else "", title)
    return next((s for s in STAGES if s in bare), "")


def find_issued(text: str) -> str:
    """成文日期: the last full date standing on a line of its own near the end."""
    for line in reversed(_lines(text)[-6:]):
        m = re.fullmatch(_DATE, line)
        if m:
            return _iso(*m.groups())
    return ""


def find_effective(text: str, issued: str) -> str:
    m = _EFFECTIVE.search(text)
    if not m:
        return ""
    return _iso(*m.groups()[:3]) if m.group(1) else issued


def find_expires(text: str, start: str) -> str:
    m = _EXPIRES_ON.search(text)
    if m:
        return _iso(*m.groups())
    m = _EXPIRES_YEARS.search(text)
    if m and start:
        n = int(m.group(1)) if m.group(1).isdigit() else _YEARS_CN.get(m.group(1), 0)
        begin = dt.date.fromisoformat(start)
        try:
            return (begin.replace(year=begin.year + n) - dt.timedelta(days=1)).isoformat() if n else ""
        except ValueError:  # 29 February
            return (begin.replace(year=begin.year + n, day=28)).isoformat()
    return ""


def find_replaces(text: str) -> tuple[str, ...]:
    """Titles and 文号 named in a sentence that repeals them ("《…》(…〔2014〕5号)同时废止")."""
    named: list[str] = []
    for sentence in _REPEAL.findall(text):
        for title, number in _NAMED.findall(sentence):
            named.append(title or number.replace(" ", ""))
    return tuple(dict.fromkeys(named))


def describe(text: str) -> Metadata:
    """Metadata of a normalized document text, by rules."""
    title = find_title(text)
    issuer = find_issuer(text, title)
    doc_number = find_doc_number(text)
    issued = find_issued(text)
    effective = find_effective(text, issued)
    return Metadata(
        title=title,
        issuer=issuer,
        region=find_region(title, issuer, text),
        year=find_year(text, doc_number, title),
        doc_number=doc_number,
        stage=find_stage(title),
        issued=issued,
        effective=effective,
        expires=find_expires(text, effective or issued),
        replaces=find_replaces(text),
    )


_Text = Annotated[StrictStr, Field(min_length=1, max_length=300)]


class Sidecar(BaseModel):
    """What ``<file>.meta.json`` may say: text fields as non-empty strings, the year as an
    integer (or null: the document has none); any other key is refused."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: _Text = Field(default=None)  # type: ignore[assignment] - absent: keep what the rules found
    issuer: _Text = Field(default=None)  # type: ignore[assignment]
    region: _Text = Field(default=None)  # type: ignore[assignment]
    year: Annotated[StrictInt, Field(ge=1900, le=2100)] | None = None
    doc_number: _Text = Field(default=None)  # type: ignore[assignment]
    stage: Literal["征求意见稿", "试行", "暂行", ""] = ""
    issued: dt.date | None = None  # ISO dates: "2024-07-28"
    effective: dt.date | None = None
    expires: dt.date | None = None
    replaces: list[_Text] = Field(default_factory=list)  # file names, titles or 文号 of repealed documents


class SidecarError(ValueError):
    """A sidecar that is not valid JSON or not a valid :class:`Sidecar`."""


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR)


def _first_problem(exc: ValidationError) -> str:
    errors = exc.errors()
    err = errors[0]
    where = ".".join(str(x) for x in err["loc"]) or "the file"
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if err["type"] == "extra_forbidden":
        return f"unknown field {where!r}; allowed: {', '.join(META_FIELDS)}{more}"
    if err["type"] == "model_type":
        return "expected a JSON object"
    return f"{where}: {err['msg'].lower()}{more}"


def read_sidecar(path: Path) -> dict[str, object]:
    """Metadata overrides from ``<file>.meta.json`` (only the fields it sets); raises
    :class:`SidecarError` with a one-line reason if it is not valid."""
    side = sidecar_path(path)
    if not side.exists():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
        fields = Sidecar.model_validate(data).model_dump(exclude_unset=True)
        for name in ("issued", "effective", "expires"):
            if name in fields:
                fields[name] = fields[name].isoformat() if fields[name] else ""
        if "replaces" in fields:
            fields["replaces"] = tuple(fields["replaces"])
        return fields
    except UnicodeDecodeError as exc:
        raise SidecarError(f"{side.name}: not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise SidecarError(f"{side.name}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    except ValidationError as exc:
        raise SidecarError(f"{side.name}: {_first_problem(exc)}") from exc


def with_sidecar(meta: Metadata, path: Path) -> Metadata:
    """``meta`` with the fields ``<file>.meta.json`` gives replaced."""
    overrides = read_sidecar(path)
    return replace(meta, **overrides) if overrides else meta  # type: ignore[arg-type]
