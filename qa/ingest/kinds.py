"""What kind of text a chunk is: a numbered clause, or the document's furniture around it.

A policy file is more than its clauses. Before them: a title, a letter's salutation and
purpose (the preamble), sometimes a sign-off, a contact block, and, on a saved web page,
breadcrumbs and "来源/日期/浏览" lines. After them: a sign-off. These kinds let search
keep page furniture out of answers and show a preamble, sign-off or contact block only
when a question asks for one; a citation names the place ("文件开头", "落款").

Kinds: ``body`` (a numbered clause or a part of one), ``heading`` (a title or heading
line with no sentence of its own), ``preamble``, ``signoff`` (issuer and date lines),
``contact`` (联系人, 电话, 传真, 邮箱 …) and ``furniture`` (breadcrumbs, page metadata,
"本文有删减", print/close links).
"""

from __future__ import annotations

import re

from qa.text import DATE_CN, DATE_ISO, HAN

BODY, HEADING, PREAMBLE, SIGNOFF, CONTACT, FURNITURE = "body", "heading", "preamble", "signoff", "contact", "furniture"
KINDS = (BODY, HEADING, PREAMBLE, SIGNOFF, CONTACT, FURNITURE)
# where a citation says the text is, for chunks outside the numbered clauses
PLACE_LABEL = {HEADING: "标题", PREAMBLE: "文件开头", SIGNOFF: "落款", CONTACT: "联系方式", FURNITURE: "网页信息"}

_FURNITURE = re.compile(
    r"当前位置|您的位置|首页\s*[>›»]|^\s*(分类|浏览|来源|日期|发布时间|发布日期|发布机构|字号|作者|责任编辑|编辑|点击|阅读)\s*:"
    r"|浏览\s*:\s*\d+|本文有删减|分享到|打印本页|关闭窗口|【\s*(打印|关闭|字体)|字号\s*:?\s*[大中小]"
)
_CONTACT = re.compile(
    r"^\s*(联系人|联系电话|联系方式|电话|传真|邮箱|电子邮箱|电子信箱|e-?mail|地址|邮编|通讯地址)\s*:|[\w.+-]+@[\w-]+\.[\w.]+"
    r"|\d{3,4}-?\d{7,8}|\(传真\)",
    re.IGNORECASE,
)
_ORG_LINE = re.compile(rf"^[{HAN}()]{{2,30}}$")  # an issuer on a line of its own: no digits, no punctuation


def is_furniture(line: str) -> bool:
    return bool(_FURNITURE.search(line))


def is_contact(line: str) -> bool:
    return len(line) <= 80 and bool(_CONTACT.search(line))


def is_date_line(line: str) -> bool:
    s = line.strip()
    return len(s) <= 20 and bool(DATE_CN.fullmatch(s) or DATE_ISO.fullmatch(s))


def is_heading_line(line: str) -> bool:
    s = line.strip()
    return 0 < len(s) <= 60 and not re.search(r"[。;!?]", s) and not s.endswith(":")  # "各成员单位:" opens a letter


def line_kinds(lines: list[str]) -> list[str]:
    """The kind of each line of a stretch of text outside the numbered clauses."""
    kinds = [PREAMBLE] * len(lines)
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            kinds[i] = ""  # blank: joins its neighbours
        elif is_furniture(s):
            kinds[i] = FURNITURE
        elif is_contact(s):
            kinds[i] = CONTACT
        elif is_date_line(s):
            kinds[i] = SIGNOFF
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            if j >= 0 and kinds[j] in (PREAMBLE, HEADING) and _ORG_LINE.match(lines[j].strip()):
                kinds[j] = SIGNOFF  # the issuer above the date
        elif is_heading_line(s):
            kinds[i] = HEADING
    # blank lines take the kind of the line before them (or after, at the start)
    last = next((k for k in kinds if k), PREAMBLE)
    for i, k in enumerate(kinds):
        if k:
            last = k
        else:
            kinds[i] = last
    return _headings_join_their_preamble(kinds)


def _headings_join_their_preamble(kinds: list[str]) -> list[str]:
    """A title belongs to the preamble it opens (or closes): "国务院关于印发…的通知" with
    "各省…: 现将…印发给你们". Only a heading with no preamble beside it stays one."""
    out = list(kinds)
    i = 0
    while i < len(out):
        if out[i] != HEADING:
            i += 1
            continue
        j = i
        while j < len(out) and out[j] == HEADING:
            j += 1
        if (j < len(out) and out[j] == PREAMBLE) or (i > 0 and out[i - 1] == PREAMBLE):
            out[i:j] = [PREAMBLE] * (j - i)
        i = j
    return out
