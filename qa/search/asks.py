"""What a question asks for, read from its wording: a part of the document outside the
clauses (its date, contact, title), a kind of detail (an amount, a count, a date, a
procedure, a list of materials), and the years it names.

These decide which chunks may answer (a sign-off only when the date or issuer is asked
for) and whether the clauses found state what was asked ("文件没有给出具体数额").
Questions reach here normalized (Simplified, half-width) and lower-cased for English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa.ingest.kinds import BODY, CONTACT, HEADING, PREAMBLE, SIGNOFF
from qa.search.diversify import EACH_WORDS
from qa.search.gazetteer import places_in
from qa.search.lists import asks_members

_ISSUED = r"(印发|发布|发出|下发|出台|发文|签发|成文|发的)"
_ASKS_SIGNOFF = re.compile(
    rf"{_ISSUED}.{{0,4}}(日期|时间)|(哪天|哪一天|几月几日|什么时候|何时|哪年哪月|哪年|日期).{{0,8}}{_ISSUED}"
    rf"|落款|发文机关|印发机关|(哪个|什么)(部门|单位|机关).{{0,4}}{_ISSUED}|谁(印发|发布|发的|制定|下发)"
    r"|\b(when|what date|which day) was\b.*\b(issued|published|released|signed)\b|\bissued by\b|\bwho issued\b"
    r"|\bdate of (issue|issuance|publication)\b"
)
# a contact asked for: "怎么联系" only as the question's end or with whom ("城乡之间怎么联系更紧密"
# asks no phone number), "contact" only as a noun or with a person ("contact between cities" none)
_ASKS_CONTACT = re.compile(
    r"联系人|联络人|联系电话|联系方式|(怎么|如何|找谁)联系(?=$|[?。,]|谁|他们|对方|哪|办公室|单位|部门)|联系谁|电话|传真|邮箱"
    r"|\be-?mail\b|\bphone\b|\bfax\b|\bcontact (person|people|details|information|number|email|phone)\b"
    r"|\bwhom?\b.{0,20}\bcontact\b|\bcontact\b.{0,12}\?$"
)
# the words of a contact asked for, made of nothing else, which name no topic of the document
# ("联系电话" of what?); 数字政府, 找工作 do name one
_CONTACT_PART = r"联系|联络|电话|传真|邮箱|邮件|电子|号码|方式|手机|地址|谁|人"
CONTACT_WORDS = re.compile(rf"^({_CONTACT_PART})+$")
CONTACT_WORDS_EN = re.compile(rf"^({_CONTACT_PART}|数字)+$")  # English: "the phone number" is rendered 数字
# the document itself named as one that asks for comments, whose contact block is for them
OF_DRAFT = re.compile(r"征求意见|意见稿|反馈|\bdrafts?\b|\bfeedback\b|\bcomments?\b")
# a department named: the word of the question that asks for one is not the work it is given.
# A clause names one without 单位 (any organisation) and with 局 only as a bureau ("office" below)
_OFFICE_REST = r"委员会|办公室|窗口|机关|服务中心"
OFFICE_WORDS = re.compile(rf"部门|单位|厅|局|{_OFFICE_REST}")
# written out: a labelled contact person or number, an e-mail address, a mobile or area-coded number
_CONTACT_GIVEN = re.compile(
    r"(联系人|联络人)\s*[::]|(电话|传真|热线)\s*[::]?\s*[\d(]|\d{7,8}\s*[((](传真|电话)"
    r"|[\w.-]+@[\w-]+\.[\w.]+|(?<!\d)1[3-9]\d{9}(?!\d)|(?<!\d)(0\d{2,3}|400)-?\s?\d{3,4}\s?\d{4}(?!\d)"
)
# the document as a whole: what it is based on, why it was made, its number, its years, its
# deadline for comments. Its opening (preamble) says these; otherwise an opening only
# restates the document's subject in general words and is no answer to a clause question.
_NUMBER_OR_YEARS = r"文号|字号|哪几年|起止"  # said by a document's title and opening alike
ASKS_DOCUMENT = re.compile(
    r"(根据|依据|依照|按照)(什么|哪个|哪份|哪些|哪一)|(根据|依据).{0,16}(制定|出台|印发|编制|提出)的"
    r"|(根据|依据|依照|按照)[^,,。?]{0,10}(哪个|哪份|哪一份?|什么)(文件|规划|计划|通知|意见)"
    rf"|为什么(要)?(制定|出台|印发)|(出台|制定)(的)?(背景|目的)|{_NUMBER_OR_YEARS}|截止|意见反馈"
    r"|书面意见|(之前|以前)反馈"
    r"|\bbased on\b|\bpurpose\b|\bwhy (was|were|did|does|is)\b|\bdocument number\b|\bdeadline\b|\bcomments?\b"
)
_ASKS_HEADING = re.compile(rf"标题|名称|全称|叫什么|{_NUMBER_OR_YEARS}|\btitle\b|document number|\bname of\b")

_FINISHED = r"(建成|完成|完工|通车|竣工|投用|投入使用|开通|开工)"
FINISHED = re.compile(_FINISHED)

# a clause's own numbering ("6.", "(3)") states no figure
_NUMBERING = re.compile(r"(^|[\n。;:])\s*(\d{1,2}[.、](?!\d)|[(]\d{1,2}[)])")
# a figure: a number that is no date or span of years ("2021年" answers "哪一年", not "多少")
_FIGURE = r"(?<![\d.—\-－~])\d[\d.,]*(?![\d.,]*\s*([年月日号]|[—\-－至到~]\s*\d))|百分之"
Stated = Callable[[str, Sequence[str]], bool]  # (clause text, topic words) → does it state the detail?


def _beside(pattern: str) -> Stated:
    """Stated by wording: ``pattern`` within ``NEAR`` characters of a topic word, a clause's
    own numbering aside."""
    rx = re.compile(pattern)
    return lambda text, near: said_near(rx, _NUMBERING.sub(r"\1", text), near)


_SENTENCE_END = re.compile(r"[。;!?\n]")


def _in_sentence(pattern: str) -> Stated:
    """Stated by wording: ``pattern`` in the same sentence as a topic word. A department is
    the subject of its sentence, often far from the work it is given ("省住房城乡建设厅要依托
    …联席会议制度,强化统筹协调")."""
    rx = re.compile(pattern)
    return lambda text, near: any(said_near(rx, s, near, len(s)) for s in _SENTENCE_END.split(text) if s)


def _names_two_places(text: str, near: Sequence[str]) -> bool:
    """The names of a list: stated by a clause that names two places or more within
    ``LIST_NEAR`` characters of one of ``near`` (any two places in the clause, without ``near``)."""
    words = content_words(near)
    if not words:
        return len(places_in(text)) >= 2
    for w in words:
        for m in re.finditer(re.escape(w), text):
            if len(places_in(text[max(0, m.start() - LIST_NEAR) : m.end() + LIST_NEAR])) >= 2:
                return True
    return False


# papers a procedure asks one to hand in
_PAPERS = r"(材料|证件|证明|资料)"
_PAPERS_OF = r"(的)?(相关|书面|佐证)?"  # "哪些相关材料", "什么书面材料", "需要的证件"
# what one does with them; 交 and 开 alone as in 上交, 开证明, not 外交, 社交, 公开, 召开, 展开
_HAND_IN = r"(带|携带|提交|提供|准备|(?<![外社成])交|出具|开具|(?<![公召展打离分放敞举揭])开|递交)"

# an English figure asked for by what or which (or "tell me"), a few words before it in the
# same sentence ("what urbanization rate", "what is the maximum loan amount"), not one the
# question only names ("what does the opinion require about the pass rate", "is the amount of
# land tied to …"), as 率 asks for a figure in Chinese only with 多少. Words and the spaces
# between them are told apart by disjoint classes, so a failed match costs linear time.
_WHAT_OF = r"\b(what|which|tell me|show me|give me)(['’]s)?\b(?!\s+(does|do|did)\b)(\s+[^\s?.!]+){0,8}?[\s-]"
_HOW_HIGH = r"\bhow (high|low|large|big)\b(?!-)[^?.!]{0,60}"  # "how low is the down payment rate"
_ASKED = rf"({_WHAT_OF}|{_HOW_HIGH}\b)"  # before "amount", "rate"
# 几 after 了 in a clause the question goes on from is "several", not "how many": "我在株洲交了
# 几年社保,搬到长沙能不能把年限算上?" asks whether, not how long ("交了几年才能落户?" still asks)
_LAST_CLAUSE = r"(?![^?]*[,;。])"


def _how_many(units: str, not_after: str = "哪好") -> str:
    """几 before ``units`` asking how many: not after ``not_after`` (好几 is "quite a few"), and
    after 了 only in the question's last clause (``_LAST_CLAUSE``)."""
    return rf"(?<![{not_after}了])几{units}|了几{units}{_LAST_CLAUSE}"


# a detail the question asks for, and the words a clause states it with
DETAILS: dict[str, tuple[re.Pattern[str], Stated]] = {
    "amount": (
        re.compile(
            r"多少钱|多少(万|亿)?元|金额|额度|(补贴|补助|奖励|奖补|资金|经费)多少|多少.{0,4}(补贴|补助|奖励|奖补|资金|经费)"
            r"|标准是多少|标准多少|工资.*多少|收费|投资.{0,4}多少"
            r"|(缴|交|付)(纳)?多少|多少(保费|费用|费)|保费|(补偿|赔偿|缴费|收费)标准"
            rf"|\bhow much\b|{_ASKED}amount\b"
            r"|\bincome (threshold|limit|cap)\b|\bfees?\b|\bpremiums?\b|\bin yuan\b|\bbudget\b"
        ),
        _beside(r"\d[\d.,]*\s*(万|亿)?元"),
    ),
    "share": (
        re.compile(
            r"比例|百分之|百分比|多少%|占比|率.{0,8}多少|多少.{0,2}率|几折"
            r"|\bpercent|\bpercentage\b|\b(what|which) (share|proportion)\b"  # not "raise the share of"
            rf"|{_ASKED}rates?\b"
        ),
        _beside(r"\d[\d.]*\s*%|百分之|\d[\d.]*\s*个百分点|[一二三四五六七八九十]成|[一二三四五六七八九]折"),
    ),
    "count": (
        re.compile(
            rf"多少(套|个|人|户|所|家|项|座|万|平方米|公里|亩|条)|{_how_many('(个|项|座|所|家|条|类|批)')}"
            # "how many years" asks a duration; "linked to how many migrants", "tie … to the number
            # of migrants", "increase the number of" name a quantity without asking for it ("by how
            # many will it grow" still asks)
            r"|(?<!linked to )(?<!tied to )(?<!related to )(?<!according to )(?<!depends on )(?<!based on )"
            r"\bhow many\b(?! (years|months|days)\b)"
            r"|\b(what|which) (is|was|are|were|will be) the (total |exact |overall |planned |target )?number of\b"
            r"|\bwhat's the (total )?number of\b"
            r"|^(the )?(total )?number of\b"
        ),
        _beside(
            r"\d[\d.,]*\s*(万|亿)?\s*(套|个|人|户|所|家|项|座|平方米|公里|亩|条|类|批|名)|\d[\d.,]*\s*(万|亿)(?!元)"
            r"|[一二三四五六七八九十两]+(个|项|座|所|类|批|条)|[一二三四五六七八九十]+大"
        ),
    ),
    "date": (
        # a deadline or a date to be met; "什么时候投用" in a yearly plan is answered by its year, so not here
        re.compile(r"截止|期限|哪一?天|哪一日|几月几日|具体日期|\bdeadline\b|\bby what date\b|\bby when\b|\bon what date\b"),
        _beside(r"\d{4}\s*年|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}"),
    ),
    "finish_year": (
        # when a named work is to be finished: the clause must give its year (or be of one
        # year's plan, which dates it: ``qa.search.scope.detail_reasons``)
        re.compile(
            rf"(哪一?年|什么时候|啥时候|何时|最晚|最迟).{{0,8}}{_FINISHED}|{_FINISHED}.{{0,6}}(哪一?年|什么时候|啥时候|何时)"
            r"|\bby what year\b"
            r"|\bwhen (will|must|should|is|are|was|were)\b.{0,60}\b(finished|completed|built|opened|operational)\b"
        ),
        _beside(r"\d{4}\s*年"),
    ),
    "duration": (
        re.compile(
            rf"(?<!好)多少(年|个月|天)|{_how_many('(年|个月|天)', not_after='好')}"
            r"|多久(?!.{0,6}一次)|多长时间|满几年|\bhow long\b|\bhow many years\b"
        ),
        _beside(r"\d+\s*(年|个月|天|日)|[一二三四五六七八九十两半]+\s*(年|个月)"),
    ),
    "age": (re.compile(r"几岁|多少岁|年龄|\bhow old\b|\bage\b(?!-)"), _beside(r"\d+\s*(周岁|岁)")),
    "formula": (
        re.compile(
            r"怎么(计)?算|如何(计)?算|计算(方法|办法|公式|标准)|公式"
            r"|\bformula\b|\bhow (is|are)\b.{0,50}\bcalculated\b|\bhow\b.{0,30}\bcalculate\b"
        ),
        _beside(r"公式|计算方法|计算办法|(按|按照).{0,16}(计算|核定|折算|计分)|乘以|除以|[×÷=]"),
    ),
    "names": (
        # the names in a list a clause may only count ("109个省级特色小镇", "15个示范县"): a
        # clause that gives them names two places or more ("支持常德、娄底创建…")
        re.compile(
            r"(名单|名录|清单)(里|中|上)?.{0,4}哪|具体名单|名单是|叫什么名字|分别叫"
            r"|(具体|分别|都)(是|有|包括)?哪(几|些)个?(县|镇|区|村|开发区|园区|小镇|乡镇)"
            r"|哪\d+个|(具体|分别|都|首批|第一批)(是|有|包括|为|选了|选的)?哪(几个|(几个|些)(县|市|镇|区|村|地方|城市|开发区|园区|小镇|乡镇|社区|省份|路段))"
            r"|(县|市|镇|区|村|城市|县城|小镇|社区|省份)(具体|分别|都)(是|有|包括|为)?哪(些|几个)"  # "示范县具体是哪些"
            r"|(在|选在了?|的是)哪几个(县|市|镇|区|村|城市|县城|省份|地区|路段)"  # "试点选在了哪几个县"
            r"|\bwhich specific\b|\bnames of\b|\bwhat are the names\b"
            r"|\blist of (the )?(counties|towns|cities|districts)\b"
        ),
        _names_two_places,
    ),
    "criteria": (
        # the standard or conditions something is judged by, asked for in detail ("具体评分标准")
        re.compile(
            r"具体(的)?(评分|打分|评价|考核|认定|评选|测评)?(标准|指标|条件)|(评分|打分|评价|考核|认定|评选|测评)(的)?(标准|指标|条件|细则)"
            r"|具体(看|用)(的)?哪些(指标|标准)"
            r"|分值|\bcriteria\b|\bscoring\b"
        ),
        _beside(rf"{_FIGURE}|\d+\s*分(?!之)"),
    ),
    "score": (re.compile(r"多少分|几分|分数|积分.{0,6}多少|\bscore\b|\bhow many points\b"), _beside(r"\d+\s*分(?!之)")),
    "office": (
        re.compile(
            r"哪个(部门|单位|机关|窗口)|去哪(里)?(办|申请)|找谁"
            r"|\bwhich (department|office|agency|authority)\b|\bwhere (do|can|should) .* apply\b"
        ),
        # 局 as a bureau, not 格局, 变局, 局面, 局部
        _in_sentence(rf"部门|厅|(?<![格布结全大当开变困僵破新终])局(?![面势限部])|{_OFFICE_REST}"),
    ),
    "procedure": (
        re.compile(
            r"怎么(办理|申请|申报|申领|登记)|如何(办理|申请|申报|申领|登记)|流程|程序|步骤|手续|去哪|在哪(里)?(办|申请)"
            r"|\bhow (do|can|to) .*\bapply\b|\bprocedure\b|\bsteps\b"
        ),
        _beside(r"申请|申领|领取|办理|受理|提交|审核|审批|登记|程序|流程|手续|窗口"),
    ),
    "materials": (
        # what to bring or hand in: "需要带哪些证件", "提交什么材料", "要哪些证明", "手续和材料",
        # "材料有哪些" — not the certificates a permit lets one obtain ("可以办理哪些证件"), an
        # industry's 新材料, nor proving something ("需要证明自己…", "重要证件")
        re.compile(
            rf"{_HAND_IN}(哪些|什么|啥|些)?{_PAPERS_OF}{_PAPERS}"
            rf"|(?<![重主只])(需要|要|需)((哪些|什么|啥){_PAPERS_OF}{_PAPERS}|材料|证件|资料)|证明(材料|文件)"
            rf"|(哪些|什么|啥|所需|申请){_PAPERS_OF}(证明)?材料|(手续|条件)(和|及|与)(材料|证件)"
            rf"|(材料|证件|资料)(有|是|要带|要交|要准备)?(哪些|什么)|{_PAPERS}(清单|目录)"
            r"|\bwhat (documents|papers)\b|\bwhich papers\b|\bpaperwork\b"  # "which documents call for …": policy documents
            r"|\b(documents|papers|materials)\b.{0,20}\b(needed|required|submit(ted)?|bring|prepare)\b"
            r"|\b(need|submit|bring|prepare|provide)\b.{0,20}\b(documents|papers|materials)\b"
        ),
        # stated by a clause that says what is to be handed in ("申领居住证应当提交身份证和居住
        # 证明", "须持本人居民身份证、户口本"), not by one that names a certificate as a service
        # ("办理出入境证件"); 持 as in 持身份证, not 支持
        _beside(
            r"(提交|提供|携带|出具|出示|递交|凭|(?<![支坚保维扶主])持(?!续)|准备|须|需)[^。;]{0,20}"
            rf"({_PAPERS}|身份证|户口簿|户口本|照片|申请表|登记表|合同)"
            rf"|(以下|下列|申请|所需|证明)(材料|资料)|{_PAPERS}(清单|目录)"
        ),
    ),
    # a phone number, an e-mail address, a contact person: stated only by one written out
    "contact": (_ASKS_CONTACT, lambda text, _near: bool(_CONTACT_GIVEN.search(text))),
}  # fmt: skip

_ASKS_FIGURE = re.compile(
    rf"多少|{_how_many('[个项年次]?(?![乎])')}"
    r"|\bwhat (is|was|are) the (target|number|figure|level)\b"
)
DETAILS["figure"] = (_ASKS_FIGURE, _beside(_FIGURE))

# words that frame a question rather than name its topic: "居住证怎么办理?" is about 居住证
FRAME_WORDS = frozenset(
    "办理 申请 申领 规定 政策 条件 要求 怎么 如何 哪些 什么 需要 可以 能否 措施 情况 内容 方面 问题 文件 提出 对于 关于 分别 "
    "有没有 是否 具体 相关 主要 一些 这个 那个 怎样 apply policy rule rules say says".split()
) | frozenset(EACH_WORDS)  # "各地对居住证怎么规定?" is about 居住证, not 各地
# words that ask for a detail ("哪几个", "多长时间") name no topic either
ASKING_WORDS = frozenset(
    "哪几 几个 哪几个 哪一年 哪年 几年 多长 长时间 多长时间 什么时候 时候 一共 多少 多大 哪里 哪些地方".split()
)
NOT_TOPIC_WORDS = FRAME_WORDS | ASKING_WORDS
# an A-not-A form (认不认, 算不算, 可不可以) asks yes or no, as 是否 does, and names no topic either
_A_NOT_A = re.compile(r"^(.+)[不没]\1")


def yes_or_no(word: str) -> bool:
    """Is ``word`` an A-not-A form that asks yes or no ("在济南办的居住证,去青岛还认不认?")?"""
    return bool(_A_NOT_A.match(word))


def names_topic(word: str) -> bool:
    """Can ``word`` name what a question is about: no framing or asking word, no A-not-A form?"""
    return word not in NOT_TOPIC_WORDS and not yes_or_no(word)


_QUOTED = re.compile(r"《([^》]+)》")
_YEAR = re.compile(r"(?<!\d)(19[89]\d|20\d\d)(?!\d)")
# a five-year-plan period: 十四五 is 2021—2025 (from the third plan, 1966—1970, every five years)
_PERIOD = re.compile(
    r"十([一二三四五六七八九])五|\b(1[0-9])(?:st|nd|rd|th) five-year\b"
    r"|\b(tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth) five-year\b"
)
# one year's edition of a yearly plan ("国家发改委2023年新型城镇化重点任务", "NDRC's 2024 key tasks"); a
# year inside a multi-year plan ("五年行动计划…2025年重点任务") names no such edition
_EDITION = re.compile(
    r"(?<!\d)(19[89]\d|20\d\d)\s*年度?[\u4e00-\u9fff]{0,20}?(重点任务|工作要点|工作计划)"
    r"|(?<!\d)(19[89]\d|20\d\d)(?!\d).{0,60}\bkey tasks\b|\bkey tasks\b.{0,60}(?<!\d)(19[89]\d|20\d\d)(?!\d)"
)
_MULTI_YEAR = re.compile(r"五年|行动计划|规划|方案|five-year|action plan")
_DIGITS = "一二三四五六七八九"
_ORDINALS = ("tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth")


def periods_in(text: str) -> tuple[tuple[str, int, int], ...]:
    """The five-year-plan periods ``text`` (lower-cased) names: (name, first year, last year)."""
    out = []
    for m in _PERIOD.finditer(text):
        if m.group(1):
            n = 11 + _DIGITS.index(m.group(1))
        else:
            n = int(m.group(2)) if m.group(2) else 10 + _ORDINALS.index(m.group(3))
        first = 1966 + 5 * (n - 3)
        out.append((f"“十{'一二三四五六七'[n - 11]}五”" if 11 <= n <= 17 else m.group(0), first, first + 4))
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class Asks:
    kinds: frozenset[str]  # chunk kinds that may answer
    details: tuple[str, ...]  # DETAILS the question asks for
    years: tuple[int, ...]  # years it names
    about_document: bool = False  # asks about the document as a whole (ASKS_DOCUMENT)
    quoted: tuple[str, ...] = ()  # document names it quotes in 《》
    periods: tuple[tuple[str, int, int], ...] = ()  # five-year-plan periods it names (``periods_in``)
    editions: tuple[int, ...] = ()  # years of a yearly plan it names as an edition (``editions_in``)
    members: bool = False  # asks for the members of a list (``qa.search.lists.asks_members``)

    def allows(self, kind: str) -> bool:
        return kind in self.kinds

    @property
    def parts(self) -> frozenset[str]:
        """The parts outside the clauses it asks for: the sign-off, the contact block."""
        return self.kinds & {SIGNOFF, CONTACT}


def editions_in(text: str) -> tuple[int, ...]:
    """The years of a yearly plan ``text`` (lower-cased) names as its edition ("2023年…重点任务"),
    unless it speaks of a multi-year plan, whose years are not editions."""
    if _MULTI_YEAR.search(text):
        return ()
    years = (next(g for g in m.groups() if g) for m in _EDITION.finditer(text))
    return tuple(dict.fromkeys(int(y) for y in years))


def read_question(text: str) -> Asks:
    """What ``text`` (a normalized question) asks for."""
    low = text.lower()
    kinds = {BODY, PREAMBLE}
    if _ASKS_SIGNOFF.search(low):
        kinds.add(SIGNOFF)
    if _ASKS_CONTACT.search(low):
        kinds.add(CONTACT)
    if _ASKS_HEADING.search(low):
        kinds.add(HEADING)
    details = tuple(name for name, (asks, _states) in DETAILS.items() if name != "figure" and asks.search(low))
    if not details and _ASKS_FIGURE.search(low):
        details = ("figure",)  # "目标是多少?": some figure, of whatever unit
    years = tuple(dict.fromkeys(int(y) for y in _YEAR.findall(text)))
    quoted = tuple(dict.fromkeys(n.strip() for n in _QUOTED.findall(text) if len(n.strip()) >= 4))
    return Asks(
        frozenset(kinds),
        details,
        years,
        bool(ASKS_DOCUMENT.search(low)),
        quoted,
        periods_in(low),
        editions_in(low),
        asks_members(low),
    )


def asked_part_first(order: list[int], kinds: list[str], docs: list[str], asks: Asks) -> list[int]:
    """When a question asks for a part outside the clauses (the sign-off's date or issuer,
    the contact block), put that part of the best document first, if it is a candidate.

    ``order`` ranks candidate indexes; ``kinds``/``docs`` describe each candidate."""
    wanted = asks.parts
    if not wanted or not order:
        return order
    best_doc = docs[order[0]]
    part = next((i for i in order if docs[i] == best_doc and kinds[i] in wanted), None)
    if part is None:
        return order
    return [part, *(i for i in order if i != part)]


NEAR = 12  # characters: how close a stated figure must be to a word of the question
LIST_NEAR = 24  # characters: how close the names of a list must be


def states(detail: str, text: str, near: Sequence[str] = ()) -> bool:
    """Does ``text`` state the kind of detail ``detail`` names (beside one of ``near``, if given)?"""
    return DETAILS[detail][1](text, near)


def said_near(pattern: re.Pattern[str], text: str, near: Sequence[str] = (), within: int = NEAR) -> bool:
    """Does ``pattern`` occur in ``text`` within ``within`` characters of one of ``near``?"""
    words = content_words(near)
    for m in pattern.finditer(text):
        window = text[max(0, m.start() - within) : m.end() + within]
        if not words or any(w in window for w in words):
            return True
    return False


def content_words(near: Sequence[str]) -> list[str]:
    """The words of ``near`` that can anchor a detail in a clause: Chinese, two characters or more."""
    return [w for w in near if len(w) > 1 and not w.isascii()]
