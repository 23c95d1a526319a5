"""Read policy documents from a folder: decoding, metadata by rules, sidecar overrides.

Each ``*.txt`` / ``*.md`` file becomes a :class:`Document`. Encodings tried, in
order: UTF-8 with BOM, UTF-16 with BOM, UTF-8, GB18030 (a superset of GBK/GB2312).
A file that is not text is reported in ``CorpusReport.skipped`` with the reason and
left out; the rest of the corpus is still read.

Metadata (title, issuer, region, year, document number) is found by rules on the
text; ``<file>.meta.json`` beside a file overrides or fills any of those fields.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa.normalize import Normalized, normalize

SUFFIXES = (".txt", ".md")
SIDECAR = ".meta.json"
META_FIELDS = ("title", "issuer", "region", "year", "doc_number")

PROVINCES = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽",
    "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州",
    "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "香港", "澳门", "台湾",
)  # fmt: skip
_DOC_KINDS = "意见|通知|方案|办法|规划|计划|要点|条例|决定|函|规定|细则|纲要|解读|公告|批复|法"
_ORG_SUFFIX = r"(?:国务院|人民政府|办公室|办公厅|委员会|领导小组|厅|局|部|委|政府)"
_DOC_NUMBER = re.compile(r"^[\u4e00-\u9fff]{1,10}[〔\[(]\d{4}[〕\])]\s*\d{1,4}\s*号$")
_DATE_CN = re.compile(r"(\d{4})\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日")
_DATE_ISO = re.compile(r"(?<!\d)(\d{4})-\d{1,2}-\d{1,2}(?!\d)")
_BOILERPLATE = re.compile(r"当前位置|首页\s*>|分类\s*:|浏览\s*:|来源\s*:|日期\s*:")


class CorpusError(ValueError):
    """The corpus folder is missing or holds no readable document."""


@dataclass(frozen=True)
class Document:
    """One policy document: its text as written, its normalized text and metadata."""

    doc_id: str  # the file name, unique within a corpus folder
    path: str
    raw: str
    norm: Normalized
    title: str
    issuer: str
    region: str
    year: int | None
    doc_number: str
    encoding: str
    sha256: str

    @property
    def text(self) -> str:
        return self.norm.text


@dataclass
class CorpusReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode ``data`` as text; return (text, encoding). Raises ``ValueError`` if binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if b"\x00" in data:
        raise ValueError("binary file (contains NUL bytes)")
    for enc in ("utf-8", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t\f")
        if controls > max(2, len(text) // 100):
            raise ValueError("binary file (control characters)")
        return text, enc
    raise ValueError("not UTF-8 or GB18030 text")


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
        if len(line) <= 30 and re.fullmatch(r"[\u4e00-\u9fff]+" + _ORG_SUFFIX, line) and _DATE_CN.fullmatch(lines[i + 1]):
            return line
    m = re.search(r"来源\s*:\s*([\u4e00-\u9fff]+?)(?:门户网站|网站|官网)?(?:\s|$)", text[:400])
    if m:
        return m.group(1)
    m = re.match(r"^《?([\u4e00-\u9fff]{2,30}?" + _ORG_SUFFIX + r")", title)
    if m:
        return m.group(1)
    m = re.match(r"^([\u4e00-\u9fff]{2,12}?)关于", title)
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
        m = _DATE_CN.fullmatch(line) or _DATE_ISO.search(line)
        if m:
            return int(m.group(1))
    m = re.search(r"(\d{4})(?:年|—\d{4}年)", title)
    return int(m.group(1)) if m else None


def read_sidecar(path: Path) -> dict[str, object]:
    """Metadata overrides from ``<file>.meta.json``; unknown keys are an error."""
    side = path.with_name(path.name + SIDECAR)
    if not side.exists():
        return {}
    data = json.loads(side.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{side.name}: expected a JSON object")
    unknown = set(data) - set(META_FIELDS)
    if unknown:
        raise ValueError(f"{side.name}: unknown fields {sorted(unknown)}; allowed: {list(META_FIELDS)}")
    return data


def load_document(path: Path) -> Document:
    """Read and describe one file; raises ``ValueError`` with a reason if it cannot."""
    data = path.read_bytes()
    raw, encoding = decode_bytes(data)
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    if not raw.strip():
        raise ValueError("empty file")
    norm = normalize(raw)
    text = norm.text
    title = find_title(text)
    issuer = find_issuer(text, title)
    doc_number = find_doc_number(text)
    doc = Document(
        doc_id=path.name,
        path=str(path),
        raw=raw,
        norm=norm,
        title=title,
        issuer=issuer,
        region=find_region(title, issuer, text),
        year=find_year(text, doc_number, title),
        doc_number=doc_number,
        encoding=encoding,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    overrides = read_sidecar(path)
    if overrides:
        if "year" in overrides and overrides["year"] is not None:
            overrides["year"] = int(overrides["year"])  # type: ignore[arg-type]
        doc = replace(doc, **overrides)  # type: ignore[arg-type]
    return doc


def list_files(folder: Path) -> list[Path]:
    """Documents under ``folder``, in sub-folders too, but not in hidden ones (.git, .trash …)."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def load_corpus(folders: list[Path] | Path) -> CorpusReport:
    """Read every document under ``folders``; unreadable files are reported, not fatal."""
    if isinstance(folders, Path):
        folders = [folders]
    report = CorpusReport()
    seen: set[str] = set()
    for folder in folders:
        if not folder.is_dir():
            raise CorpusError(f"corpus folder not found: {folder}")
        for path in list_files(folder):
            try:
                doc = load_document(path)
            except (OSError, ValueError) as exc:
                report.skipped.append((str(path), str(exc)))
                continue
            if doc.doc_id in seen:
                report.skipped.append((str(path), f"duplicate file name {doc.doc_id}"))
                continue
            seen.add(doc.doc_id)
            report.documents.append(doc)
    return report
