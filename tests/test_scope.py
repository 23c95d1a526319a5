"""Places, years, details and the judgement: what the documents cannot answer, said as such."""

from __future__ import annotations

import pytest

from qa.ingest.kinds import SIGNOFF
from qa.search.asks import editions_in, names_topic, read_question, states, yes_or_no
from qa.search.dictionary import EnglishDictionary, _glosses, american, build, terminology
from qa.search.expand import Expander
from qa.search.gazetteer import NATIONAL, Place, places_in, table
from qa.search.judge import ANSWERED, NOT_FOUND, PARTIAL, Calibration, Reason, Signals, decide, unknown_share
from qa.search.scope import (
    detail_reasons,
    document_reasons,
    edition_of,
    edition_reasons,
    is_yearly,
    place_scope,
    year_reasons,
    years_of,
)
from qa.search.tokens import in_dictionary


def test_the_gazetteer_holds_every_province_and_maps_cities_and_counties_to_them():
    provinces = {p.province for p in table().values() if p.level == "province"}
    assert len(provinces) == 34 and {"山西", "内蒙古", "新疆", "香港", "台湾"} <= provinces
    found = {p.name: p.province for p in places_in("广州和义乌、小店区、湘西的政策,还有Shenzhen和Shaanxi")}
    assert found == {"广州": "广东", "义乌": "浙江", "小店区": "山西", "湘西": "湖南", "Shenzhen": "广东", "Shaanxi": "陕西"}
    assert [p.province for p in places_in("国务院和State Council")] == [NATIONAL, NATIONAL]
    # words that are also place names do not fire: 东方 (a city), 和县 inside 县医院, 城区 (a district name)
    assert places_in("东方红;县域普通高中和县医院;城区落户") == []
    # a prefecture-level city jieba knows by its full name is named by its short one (大连: an adverb to jieba)
    assert [(p.name, p.province) for p in places_in("大连和开封的老旧小区")] == [("大连", "辽宁"), ("开封", "河南")]
    # the longest name at a position wins, and the scan goes on after it
    assert [p.name for p in places_in("山西省太原市小店区")] == ["山西省", "太原市", "小店区"]
    # a Latin name stands between non-letters: "Shanxi's" names it, "Shanxisheng" and "xshanxi" do not
    assert [p.name for p in places_in("Shanxi's plan and Inner Mongolia")] == ["Shanxi", "Inner Mongolia"]
    assert places_in("Shanxisheng xshanxi") == []


def test_a_place_no_document_covers_keeps_the_search_to_national_documents():
    covered = {"山西", "山东", "湖南", NATIONAL}
    scope, reasons = place_scope(places_in("广州公租房怎么申请?"), covered)
    assert scope is not None and scope.regions == (NATIONAL,)
    assert (
        [r.code for r in reasons] == ["place_not_covered"] and "广州" in reasons[0].message and "国家层面" in reasons[0].message
    )
    scope, reasons = place_scope(places_in("山东和广东的居住证"), covered)
    assert scope is None and "广东" in reasons[0].message  # 山东 is answered; 广东 is said to be missing
    assert place_scope(places_in("太原落户"), covered) == (None, [])
    assert place_scope(places_in("广州落户"), {"山西"})[0] is None  # no national document to fall back on


def test_years_and_details_the_documents_do_not_hold():
    years = years_of(["到2025年,常住人口城镇化率达到70%", "《实施方案(2025—2029年)》"], 2024)
    assert {2024, 2025, 2027, 2029} <= years and 2030 not in years
    reasons = year_reasons([2030, 2025], ["a"], {"a": years}, "山东")
    assert [r.message for r in reasons] == ["所收录的山东的文件没有涉及2030年的内容"]
    assert detail_reasons(["amount"], ["提高住房公积金使用效率"], ["公积金"])[0].message == "文件没有给出具体数额"
    assert detail_reasons(["amount"], ["住房公积金贷款最高额度60万元"], ["公积金"]) == []
    assert read_question("湖南老旧小区改造总投资是多少亿元?").details == ("amount",)  # not any figure: money


def test_a_five_year_plan_period_no_document_covers_is_said_to_be_missing():
    asks = read_question("山东“十五五”时期新型城镇化有什么目标?")
    assert asks.periods == (("“十五五”", 2026, 2030),) and asks.years == ()
    assert read_question("what did the 14th five-year plan say?").periods == (("“十四五”", 2021, 2025),)
    doc_years = {"sd": {2019, 2020}, "sx": {2024, 2025, 2029}}
    reasons = year_reasons((), ["sd"], doc_years, "山东", asks.periods)
    assert [r.code for r in reasons] == ["year_not_covered"] and "2026—2030" in reasons[0].message
    assert year_reasons((), ["sx"], doc_years, "山西", asks.periods) == []  # 2029 falls in it


def test_fees_formulas_names_and_finishing_years_are_details_to_check():
    assert read_question("职业伤害保障每个月要缴多少保费?").details == ("amount",)
    assert read_question("积分落户的积分到底怎么算?").details == ("formula",)
    assert detail_reasons(["formula"], ["完善积分落户政策"], ["积分"])[0].message == "文件没有给出具体计算方法"
    assert read_question("特色小镇清单里都有哪些镇?").details == ("names",)
    assert read_question("进了创建名单的特色小镇一共几个?").details == ("count",)  # a count, not the names
    assert not states("names", "对进入创建名单的109个省级特色小镇开展定期测评", [])
    assert states("names", "支持常德、娄底创建国家公交都市示范城市", [])
    assert read_question("太原都市圈的轨道交通哪一年能完工通车?").details == ("finish_year",)
    # a one-year plan dates what it says it will finish; another document does not
    shown = ["确保青岛胶东国际机场建成投用"]
    assert detail_reasons(["finish_year"], shown, ["机场"], [True]) == []
    assert detail_reasons(["finish_year"], shown, ["机场"], [False])[0].code == "detail_not_stated"
    assert detail_reasons(["finish_year"], shown, ["高铁"], [True])  # it finishes something else
    # the work asked about is the question's rarest word (words come rarest first): 雄忻, not any 高铁
    railways = ["确保济郑高铁、雄商高铁建成通车"]
    assert detail_reasons(["finish_year"], railways, ["雄忻", "高铁"], [True])
    assert detail_reasons(["finish_year"], railways, ["济郑", "高铁"], [True]) == []
    assert is_yearly("《关于印发2019年新型城镇化建设重点任务的通知》")
    assert not is_yearly("山西省关于深入推进新型城镇化建设的实施意见(2016年)")  # an edition, not a plan's year
    assert not is_yearly("《实施方案(2025—2029年)》")
    # a clause's own numbering states no figure
    assert not states("figure", "6.扩大农业转移人口社会保障覆盖面", ["社会保障"])
    assert states("count", "城区常住人口300万以下城市全面取消落户限制", ["城区"])


def test_a_figure_is_no_date_and_a_list_stands_beside_its_subject():
    # a year answers "哪一年", not "多少": a clause dated 2021 states no figure of its subject
    assert not states("figure", "城镇化率2021年起稳步提高", ["城镇化率"])
    assert not states("figure", "城镇化率(2021—2025年)稳步提高", ["城镇化率"])
    assert states("figure", "城镇化率提高到65%", ["城镇化率"])
    # two places elsewhere in the clause are not the names of the list asked for
    far = "支持示范县补短板强弱项,提升公共服务设施和市政公用设施水平。加快城市群建设,推动常德、娄底、岳阳等城市一体化发展"
    assert states("names", far, []) and not states("names", far, ["示范县"])
    assert states("names", "确定常德、娄底为示范县", ["示范县"])


def test_more_ways_of_asking_for_a_detail_are_read():
    assert read_question("湖南15个示范县分别是哪几个?").details == ("names",)
    assert read_question("哪些县可以撤县改市?").details == ()  # a rule, not a list of names
    assert read_question("三大工程具体包括哪些?").details == ()  # things, not places
    assert read_question("补短板示范县具体是哪些?").details == ("names",)
    assert read_question("试点选在了哪几个县?").details == ("names",)
    assert read_question("试点在哪几个省份开展?").details == ("names",)
    assert read_question("租赁住房集中布局在哪些地方?").details == ()  # where, as a rule: no list asked
    assert read_question("特色小镇评估时具体看哪些指标?").details == ("criteria",)
    assert read_question("机场具体是哪一天正式投用的?").details == ("date",)
    assert read_question("老旧小区改造每户能拿到多少财政补贴?").details == ("amount",)
    assert read_question("租金按市场租金的几折收取?").details == ("share",)
    assert read_question("特色小镇测评的具体评分标准是什么?").details == ("criteria",)
    assert read_question("how many years must one live there?").details == ("duration",)  # not a count
    assert read_question("how large is the fund in yuan?").details == ("amount",)
    assert SIGNOFF in read_question("on what date was the notice issued?").kinds
    # words that do not ask: 好几年 says it was long; "raise the share of" asks how
    assert read_question("我在太原打了好几年工,户口能迁过来吗?").details == ()
    assert read_question("how will shandong raise the share of clean energy?").details == ()
    assert read_question("what share of residents are covered?").details == ("share",)
    assert states("count", "实施长株潭区域一体化十大标志工程", ["标志工程"])  # a count said with 大


def test_a_quantity_named_in_passing_is_not_asked_for():
    # "tie … to the number of migrants" asks how, not how many
    assert read_question("how does shanxi tie fiscal transfers to the number of migrants who settle?").details == ()
    assert read_question("is construction land linked to how many migrants a city takes in?").details == ()
    assert read_question("how will shandong increase the number of residence permits issued?").details == ()
    assert read_question("what is the document number of the state council's plan?").details == ()
    assert read_question("what is the total number of pilot towns?").details == ("count",)
    assert read_question("how many pilot towns are there?").details == ("count",)
    assert read_question("number of affordable homes in hunan").details == ("count",)
    assert read_question("by how many will the urban population grow?").details == ("count",)
    assert read_question("on how many sites will the pilot run?").details == ("count",)
    assert read_question("what's the number of pilot towns?").details == ("count",)


def test_an_english_rate_or_amount_is_asked_for_only_by_what_or_which():
    # as 率 and 额 ask for a figure in Chinese only with 多少
    assert read_question("what does shanxi's 2016 opinion require about the pass rate of skills training?").details == ()
    assert read_question("is the amount of new construction land tied to the number of migrants?").details == ()
    assert read_question("what urbanization rate should shanxi reach by 2029?").details == ("share",)
    assert read_question("what interest rate does the bank charge?").details == ("share",)
    assert read_question("how high will the urbanization rate be?").details == ("share",)
    assert read_question("what is the maximum housing provident fund loan amount in shandong?").details == ("amount",)
    assert read_question("what's the maximum loan amount?").details == ("amount",)
    assert read_question("how large is the maximum loan amount?").details == ("amount",)
    assert read_question("tell me the maximum loan amount in shandong").details == ("amount",)
    assert read_question("how low is the down payment rate?").details == ("share",)
    assert read_question("what numeric leakage-rate target does shanxi set?").details == ("share",)
    assert read_question("how high-quality is the development plan?").details == ()  # no rate
    assert read_question("what should i do? the rate seems too high.").details == ()  # another sentence
    # a run of dashes or quotes after "what" is read in linear time, not by trying every split
    assert read_question("what is required? " + "-" * 60 + " thanks.").details == ()


def test_several_years_told_before_the_question_are_not_asked_for():
    # 几 after 了, in a clause the question goes on from, is "several"
    assert read_question("我在株洲交了几年社保,搬到长沙落户能不能把年限算上?").details == ()
    assert read_question("我在太原干了几个月,能办居住证吗?").details == ()
    assert read_question("我在株洲交了几年社保;搬到长沙能落户吗?").details == ()
    assert read_question("交了几年社保才能落户?").details == ("duration",)  # its last clause: asked
    assert read_question("城镇化率提高了几乎一倍吗?").details == ()  # 几乎 is "almost"
    assert read_question("我交了多少年社保,能落户吗?").details == ("duration",)  # 多少 asks anyway


def test_an_a_not_a_form_asks_yes_or_no_and_names_no_topic(hashing_engine):
    assert yes_or_no("认不认") and yes_or_no("算不算") and yes_or_no("可不可以") and yes_or_no("有没有")
    assert not yes_or_no("不认") and not yes_or_no("老人") and not names_topic("认不认")
    r = hashing_engine.retriever
    asked = r._prepare("在济南办的居住证,去青岛还认不认?", r.config)
    assert "认不认" in asked.tokens and "认不认" not in r.topic_terms(asked)
    counted = r._prepare("落户以后还算不算?", r.config)
    assert "不算" in counted.terms and not {"算不算", "不算"} & set(r.topic_terms(counted))  # its pieces too
    # no clause uses the form, yet it is no unknown word of the question
    assert r.unknown_share(asked) < unknown_share(asked.tokens, asked.expansion, r.lexical)


def test_a_word_jieba_made_up_around_a_function_word_is_phrasing_not_an_unknown_topic(hashing_engine):
    r = hashing_engine.retriever
    colloquial = r._prepare("开电动车的,小区里会不会多建点充电桩?", r.config)
    assert "里会" in colloquial.tokens and r.is_phrasing("里会")  # 里 + 会: no word, no topic
    assert r.unknown_share(colloquial) < unknown_share(colloquial.tokens, colloquial.expansion, r.lexical)
    # made up of content characters alone, it may be a new topic: 网红, 双减 are no words of the seeds
    for question, word in (("山西网红经济有什么扶持政策?", "网红"), ("双减以后补课机构怎么办?", "双减")):
        asked = r._prepare(question, r.config)
        assert word in asked.tokens and not in_dictionary(word) and word not in r.lexical
        assert not r.is_phrasing(word) and r.unknown_share(asked) == unknown_share(asked.tokens, asked.expansion, r.lexical)
    # a character no clause uses (狗: true of the seeds) names a topic the documents lack
    dogs = r._prepare("城市居民养狗要怎么办理?", r.config)
    assert "养狗要" in dogs.tokens and not r.is_phrasing("养狗要")
    assert r.unknown_share(dogs) == unknown_share(dogs.tokens, dogs.expansion, r.lexical) > 0
    assert not r.is_phrasing("高考") and not r.is_phrasing("落户")  # a word of jieba's dictionary; of the clauses
    # a made-up word the thesaurus accounts for stays a known word of the question (一金 of 五险一金)
    insured = r._prepare("五险一金怎么交?", r.config)
    assert r.is_phrasing("一金") and insured.expansion.covers("一金")
    assert r.unknown_share(insured) == unknown_share(insured.tokens, insured.expansion, r.lexical)


def test_a_phone_number_or_contact_is_stated_only_when_written_out():
    assert read_question("what is the phone number of the shandong urbanization office?").details == ("contact",)
    assert read_question("湖南城镇化工作要点的联系电话是多少?").details == ("contact",)
    assert read_question("山东怎么加强与日本韩国的经贸联系?").details == ()  # ties, not a contact
    assert read_question("城乡之间怎么联系更紧密?").details == ()
    assert read_question("how will hunan strengthen contact between cities?").details == ()
    assert read_question("湖南城镇化办公室怎么联系?").details == ("contact",)
    assert read_question("whom can i contact about the draft?").details == ("contact",)
    assert states("contact", "联系人:晁阳 88950076,,88950081(传真) 邮箱:hnzjt0076@163.com")
    assert states("contact", "请将书面意见发送至 hnzjt0076@163.com")
    assert not states("contact", "各级城镇化工作领导小组办公室将进一步强化统筹协调,2019年完成")
    assert states("contact", "联系电话:13812345678") and states("contact", "电话 0731-8895 0076")
    assert not states("contact", "城镇人口达到12345678人")  # a large number is no phone number


def test_a_department_is_stated_in_the_sentence_it_is_given_the_work():
    clause = "(二十一)加强部门协调。省住房城乡建设厅要依托湖南省新型城镇化工作联席会议制度,强化统筹协调和督促落实。"
    assert states("office", clause, ["统筹协调"])  # 厅 is the subject, 统筹协调 far behind it
    assert not states("office", "省住房城乡建设厅负责住房保障。加强统筹协调", ["统筹协调"])  # another sentence
    assert not states("office", "构建大中小城市协调发展的城镇化空间格局", ["城镇化"])  # 格局 is no 局
    assert not states("office", "对老旧小区实施局部改造", ["老旧小区"])
    # any of the question's words anchors a department: an English question's rarer words are
    # often stray renderings ("work" → 劳动)
    words, anchors = ["协调", "劳动"], ["劳动"]
    assert detail_reasons(["office"], [clause], words, anchors=anchors) == []
    assert detail_reasons(["count"], ["统筹协调5个项目"], words, anchors=anchors)  # other details: anchors
    assert not states("office", "应对百年未有之大变局,推进城镇化", ["城镇化"])
    # the question's own 部门 is no work given to a department ("推动部门数据共享")
    assert detail_reasons(["office"], ["推动部门数据共享"], ["居住证", "互认", "部门"])


def test_contact_words_are_the_contact_alone():
    from qa.search.asks import CONTACT_WORDS, CONTACT_WORDS_EN

    assert all(CONTACT_WORDS.search(w) for w in ("联系电话", "联系人", "电子邮箱", "谁"))
    assert not any(CONTACT_WORDS.search(w) for w in ("数字", "数字政府", "找工作", "人口"))
    assert CONTACT_WORDS_EN.search("数字") and not CONTACT_WORDS_EN.search("数字经济")


def test_a_detail_must_be_stated_beside_the_more_specific_words():
    clause = "推进老旧小区、城中村等改造,加快实施城镇老旧小区改造,新开工改造5.3万个"
    words = ["改造", "城中村"]
    assert detail_reasons(["count"], [clause], words) == []  # beside 改造
    assert detail_reasons(["count"], [clause], words, anchors=["城中村"])  # not beside 城中村
    # a document's sign-off states the document's own date, beside whatever words
    signoff = "山东省城镇化工作领导小组办公室\n\n2019年7月3日"
    assert detail_reasons(["date"], [signoff], ["通知"], anchors=["通知"])
    assert detail_reasons(["date"], [signoff], ["通知"], anchors=["通知"], parts=[True]) == []


def test_a_yearly_plan_asked_for_by_year_must_be_one_the_corpus_holds():
    assert editions_in("国家发改委2023年新型城镇化和城乡融合发展重点任务有哪些?") == (2023,)
    assert editions_in("what are the ndrc's key tasks for new urbanization in 2024?") == (2024,)
    assert editions_in("湖南2021年新型城镇化工作要点提出了什么?") == (2021,)
    assert editions_in("五年行动计划提出的2025年重点任务是什么?") == ()  # a year of a multi-year plan
    assert editions_in("2025年城镇化率目标是多少?") == ()
    assert edition_of("山东省城镇化工作领导小组办公室《关于印发2019年新型城镇化建设重点任务的通知》") == 2019
    assert edition_of("山西省关于深入推进新型城镇化建设的实施意见(2016年)") is None
    edition = {"sd": 2019, "hn": 2021}
    reasons = edition_reasons([2023], ["gj"], edition, "国家层面")
    assert [r.code for r in reasons] == ["year_not_covered"] and "国家层面的2023年度计划" in reasons[0].message
    assert edition_reasons([2019], ["sd", "gj"], edition, "") == []
    assert edition_reasons([2019], ["gj"], edition, "国家层面")  # 山东's 2019 tasks are not the nation's


@pytest.mark.parametrize(
    ("question", "missing"),
    [
        ("国家发展改革委2023年新型城镇化和城乡融合发展重点任务有哪些?", True),
        ("What are the NDRC's key tasks for new urbanization in 2023?", True),
        ("国家2019年新型城镇化建设重点任务对落户有什么要求?", True),
        ("2019年新型城镇化建设重点任务对落户有什么要求?", False),  # 山东's are in the corpus
        ("山东2019年新型城镇化建设重点任务对落户有什么要求?", False),
    ],
)
def test_a_yearly_plan_of_another_issuer_or_year_is_said_to_be_missing(hashing_engine, question, missing):
    codes = [r.code for r in hashing_engine.retriever.search(question).reasons]
    assert ("year_not_covered" in codes) == missing


def test_a_document_quoted_by_name_that_the_corpus_lacks_is_said_to_be_missing():
    titles = ["国务院关于印发《深入实施以人为本的新型城镇化战略五年行动计划》的通知"]
    quoted = read_question("《国家新型城镇化规划（2021—2035年）》提出的城镇化率目标是多少?").quoted
    assert [r.code for r in document_reasons(quoted, titles)] == ["document_not_covered"]
    assert "国家新型城镇化规划" in document_reasons(quoted, titles)[0].message
    held = read_question("《深入实施以人为本的新型城镇化战略五年行动计划》对落户怎么说?").quoted
    assert held and document_reasons(held, titles) == []


def test_a_figure_from_another_provinces_document_does_not_answer(hashing_engine):
    """ "山西…多少个" is not answered by a 湖南 clause that states a count."""
    from qa.serve.answer import ask

    ans = ask(hashing_engine.retriever, "山西计划改造多少个老旧小区?", k=5)
    codes = [r.code for r in ans.reasons]
    assert "detail_not_stated" in codes and not ans.confident


def test_a_detail_is_anchored_at_the_questions_rarer_words(hashing_engine):
    """改造 is in many clauses, 城中村 in few: a count must stand beside 城中村."""
    r = hashing_engine.retriever
    assert r.idf("城中村") > r.idf("改造") > 0
    anchors = r._anchors({"改造": 1.0, "城中村": 1.0, "计划": 1.0, "高考加分": 1.0})
    assert "城中村" in anchors and "高考加分" in anchors and "改造" not in anchors  # a word no clause has is rarest


def test_the_status_follows_topic_and_reasons():
    s = Signals(0.9, 0.8, 0.0, 0.9, 0.3, 1.0, 0.0)
    assert decide(True, True, 0.9, s, []).status == ANSWERED
    partial = decide(True, True, 0.9, s, [Reason("detail_not_stated", "文件没有给出具体数额")])
    assert partial.status == PARTIAL and not partial.confident
    off = decide(True, False, 0.1, s, [])
    assert off.status == NOT_FOUND and off.reasons[-1].code == "topic_not_found"
    cal = Calibration({"top_dense": 10.0}, -8.5, 0.5)
    assert cal.probability(s) > 0.5 > cal.probability(Signals(0.8, 0, 0, 0, 0, 0, 0))


def test_the_english_dictionary_keeps_only_corpus_words_and_reads_plain_forms():
    vocab = {"居住证", "城镇化", "农民工", "落户"}
    table_ = build(vocab, lambda w: 1)
    assert table_["residence permit"] == ("居住证",) and "城镇化" in table_["urbanization"]
    assert all(len(w) >= 2 and w in vocab for words in table_.values() for w in words)
    d = EnglishDictionary(table_)
    found = dict(d.lookup("Can migrant workers with residence permits settle in cities?"))
    assert found["residence permits"] == ("居住证",) and "农民工" in found["migrant workers"]  # permits → permit
    assert "about" not in dict(d.lookup("What about urbanization?"))  # a weak word says nothing


def test_a_cedict_definition_that_lists_parts_after_a_colon_translates_only_what_it_names():
    table_ = build({"四大", "节水", "劳动力", "数量", "申请", "主动"}, lambda w: 1)
    assert table_["four elements"] == ("四大",) and table_["save water"] == ("节水",)
    assert "water" not in table_ and "earth" not in table_  # 四大 "the four elements: earth, water, fire, and wind"
    # a colon inside a note is no list ("quantity (CL:個|个[ge4])"), a one-word head is a label
    assert table_["quantity"] == ("数量",) and table_["application form"] == ("申请",)
    assert "opposite" not in table_ and list(_glosses("opposite: state-owned enterprise")) == []


def test_british_spellings_find_what_american_ones_do():
    assert american("Provincial Sub-centres, LABOUR's modernisation and enrolment") == (
        "provincial sub-centers, labor's modernization and enrollment"
    )
    assert american("city buses and natural gases") == "city buses and natural gases"  # no spelling variants
    d = EnglishDictionary(
        {"labor": ("劳动",), "bus": ("公交",)},
        terminology(lambda w: True, lambda w: 1, "副中心\tsub-centre\n劳动力\tlabour force\n"),
    )
    assert dict(d.lookup("sub-centres and labour")) == dict(d.lookup("sub-centers and labor"))
    assert dict(d.lookup("sub-centres and labour")) == {"sub-centers": ("副中心",), "labor": ("劳动",)}
    assert dict(d.lookup("the labour force")) == {"labor force": ("劳动力",)}
    assert dict(d.lookup("city buses")) == {"buses": ("公交",)}  # buses → bus, not "busses"
    british = Expander({}, {"provincial sub-centres": ("省域副中心城市",)})  # the glossary's keys too
    american_ = Expander({}, {"provincial sub-centers": ("省域副中心城市",)})
    for e in (british, american_):
        for q in ("What about provincial sub-centres?", "What about provincial sub-centers?"):
            assert e.expand(q).terms == ("省域副中心城市",)
    # the judgement's unknown words: a British word the glossary took is known
    exp = british.expand("What about provincial sub-centres?")
    assert unknown_share(["provincial", "sub-centres"], exp, set()) == 0.0


def test_the_english_dictionary_reads_an_unknown_hyphenated_word_as_its_parts():
    d = EnglishDictionary({"sponge": ("海绵",), "city": ("城市",), "high-speed": ("高速",), "dual-use": ("两用",)})
    assert dict(d.lookup("Where is sponge-city construction pushed?")) == {"sponge": ("海绵",), "city": ("城市",)}
    assert dict(d.lookup("high-speed rail")) == {"high-speed": ("高速",)}  # known whole: kept whole
    assert dict(d.lookup("What about 'dual-use' facilities?")) == {"dual-use": ("两用",)}  # quotes are not the word's


def test_a_phrase_unknown_as_written_is_found_by_its_stems_in_any_order():
    d = EnglishDictionary({"save water": ("节水",), "construct": ("建设", "构建"), "implement": ("实施",)})
    found = dict(d.lookup("What water-saving measures and construction does the implementation plan name?"))
    assert found["water saving"] == ("节水",)  # the other order of the compound
    assert found["construction"] == ("建设", "构建") and found["implementation"] == ("实施",)  # other forms
    assert "measures" not in found and "name" not in found  # a stem must still match a gloss
    # the terminology's readings come first when both sources have a phrase of those stems
    both = EnglishDictionary({"constructs": ("构建",)}, {"construct": ("建设",)})
    assert dict(both.lookup("construction")) == {"construction": ("建设", "构建")}
    assert dict(both.lookup("construction", terms=False)) == {"construction": ("构建",)}


def test_a_phrase_of_three_words_or_more_is_found_with_other_words_among_its_own():
    terms = {"water supply network": ("供水管网",), "turning counties into cities": ("撤县设市",), "priority town": ("重点镇",)}
    d = EnglishDictionary({"supply": ("供给",)}, terms)
    found = dict(d.lookup("How did Shanxi plan to cut water leakage from its supply network?"))
    assert found["water supply network"] == ("供水管网",) and found["supply"] == ("供给",)  # both readings
    assert ("turning counties county cities", ("撤县设市",)) in d.lookup(
        "Does Shanxi support turning counties into county-level cities?"
    )
    # too far apart (four other words among them), or a phrase of only two content words
    assert "供水管网" not in {w for _, ws in d.lookup("water for the new homes and their supply network") for w in ws}
    assert not d.lookup("Who gets priority for settling in towns?")
    assert dict(d.lookup("the priority towns")) == {"priority towns": ("重点镇",)}  # written together it is found


def test_one_words_several_readings_share_its_weight_in_search_and_coverage():
    from qa.search.query import prepare

    e = Expander({}, {"residence permit": ("居住证",)}, EnglishDictionary({"plan": ("规划", "计划", "方案"), "hukou": ("户口",)}))
    exp = e.expand("does the hukou plan need a residence permit?")
    assert dict(exp.weighted()) == {"居住证": 1.0, "户口": 1.0, "规划": 1 / 3, "计划": 1 / 3, "方案": 1 / 3}
    q = prepare("does the hukou plan need a residence permit?", e, [], 0.5, 0.5)
    assert q.terms["户口"] == 0.5 and abs(q.terms["规划"] - 0.5 / 3) < 1e-9
    weight = {t: w for ts, w in q.groups[1:] for t in ts}  # BM25: the expansion's groups
    assert weight["居住证"] == weight["户口"] == 0.5 and abs(weight["规划"] - 0.5 / 3) < 1e-9
    # a reading the glossary gives too keeps its whole weight
    both = Expander({}, {"plan": ("规划",)}, EnglishDictionary({"scheme": ("规划", "方案")}))
    assert dict(both.expand("the plan and the scheme").weighted()) == {"规划": 1.0, "方案": 0.5}


TERMS = (
    "# a comment\n综合管廊\tutility tunnel; Pipe Gallery\n试点\tpilot; pilot scheme\n公积金\tprovident fund\n"
    "居住小区\tresidential community\n社区\tresidential community\n新型城镇化\tnew-type urbanization\n"
    "村民委员会\tvillagers' committee\n"
)


def test_the_policy_terminology_keeps_terms_whose_words_the_corpus_uses():
    known = {"综合", "管廊", "试点", "居住", "小区", "居住小区", "社区", "新型", "城镇", "城镇化", "村民", "委员", "委员会"}
    df = {"社区": 9, "居住": 3, "小区": 2, "居住小区": 2}
    terms = terminology(known.__contains__, lambda w: df.get(w, 1), TERMS)
    assert terms["utility tunnel"] == terms["pipe gallery"] == ("综合管廊",) and terms["pilot"] == ("试点",)
    assert "provident fund" not in terms  # 公积金: not a word of this corpus
    assert terms["residential community"] == ("社区", "居住小区")  # the more used first
    assert terms["new type urbanization"] == ("新型城镇化",) and "new-type urbanization" not in terms
    assert terms["villagers committee"] == ("村民委员会",)


def test_every_shipped_term_is_found_by_its_own_english(hashing_engine):
    d = hashing_engine.retriever.expander.dictionary
    assert len(d.terms) > 1000  # the seeds' vocabulary keeps most of the terminology
    assert all("\u4e00" <= ch <= "\u9fff" for words in d.terms.values() for w in words for ch in w)
    missed = [k for k in d.terms if d.terms[k] not in dict(d.lookup(k, general=False)).values()]
    assert not missed, missed[:5]
    assert dict(d.lookup("the villagers\u2019 committee", general=False))  # a phone's apostrophe


def test_a_contact_detail_is_read_as_one_phrase(hashing_engine):
    d = hashing_engine.retriever.expander.dictionary
    assert dict(d.lookup("what is the email address")) == {"email address": ("邮箱",)}
    found = dict(d.lookup("their phone number and fax number"))
    assert found.keys() == {"phone number", "fax number"} and "号码" in found["phone number"] and "传真" in found["fax number"]
    assert "address" not in d.terms and "contact" not in d.terms  # alone, CC-CEDICT's readings
    # "contact people" is no rendering of 联系人: read by stems in any order it took "people contact"
    assert {"people", "contact"} <= dict(d.lookup("how many people contact the office")).keys()


def test_a_phrase_the_terminology_knows_is_read_by_it_alone_and_each_source_can_be_left_out():
    general = {"pilot": ("驾驶",), "housing": ("住房",), "people": ("人民",)}
    d = EnglishDictionary(general, {"pilot": ("试点",), "utility tunnel": ("综合管廊",), "people-centered": ("以人为本",)})
    q = "Where are housing pilots and utility tunnels?"
    assert dict(d.lookup(q)) == {"housing": ("住房",), "pilots": ("试点",), "utility tunnels": ("综合管廊",)}
    assert dict(d.lookup(q, terms=False)) == {"housing": ("住房",), "pilots": ("驾驶",)}
    assert dict(d.lookup(q, general=False)) == {"pilots": ("试点",), "utility tunnels": ("综合管廊",)}
    assert d.lookup(q, general=False, terms=False) == []
    # a hyphenated word only the terminology knows is split when the terminology is left out
    assert dict(d.lookup("people-centered", terms=False)) == {"people": ("人民",)}


def test_the_terminology_switch_reaches_the_search(hashing_engine):
    from dataclasses import replace

    from qa.search.query import prepare

    r = hashing_engine.retriever
    q = "What about underground utility tunnels?"
    on = prepare(q, r.expander, r._regions, 0.5, 0.5, (True, True, True))
    off = prepare(q, r.expander, r._regions, 0.5, 0.5, (True, True, False))
    assert "管廊" in on.extra and "管廊" not in off.extra
    with_terms = r.search(q, k=3)
    without = r.search(q, k=3, config=replace(r.config, english_terms=False))
    tunnel = [hashing_engine.index.chunks[int(i)].text for i in with_terms.ids]
    assert any("管廊" in t for t in tunnel)
    assert [int(i) for i in with_terms.ids] != [int(i) for i in without.ids]


@pytest.mark.parametrize("question", ["上海落户需要什么条件?", "How do migrant workers get hukou in Shenzhen?"])
def test_other_places_are_answered_from_national_documents_with_a_reason(hashing_engine, question):
    from qa.serve.answer import ask

    ans = ask(hashing_engine.retriever, question, k=3)
    assert ans.status in (PARTIAL, NOT_FOUND) and not ans.confident
    assert ans.reasons[0].code == "place_not_covered"
    assert all(h.region == NATIONAL for h in ans.hits)
    data = ans.to_json()
    assert data["status"] == ans.status and data["reasons"][0]["code"] == "place_not_covered"


def test_a_county_name_the_documents_use_as_a_word_is_no_place(hashing_engine):
    """山西's 老城区 is the old town, not 洛阳's 老城区 district: no "not covered" for it."""
    r = hashing_engine.retriever
    assert r.place_word(Place("老城区", "河南", "county"))  # a 山西 document uses it
    assert not r.place_word(Place("番禺区", "广东", "county"))  # no document uses it
    assert not r.place_word(Place("河南", "河南", "province"))  # province names are always places
    codes = [x.code for x in r.search("山西老城区怎样推进地下综合管廊建设?").reasons]
    assert "place_not_covered" not in codes
    reasons = r.search("洛阳老城区的落户政策是什么?").reasons
    assert reasons[0].code == "place_not_covered" and "洛阳" in reasons[0].message  # the city still counts
    assert "place_not_covered" in [x.code for x in r.search("番禺区的落户政策是什么?").reasons]


def test_a_county_named_as_a_place_is_told_from_the_same_word():
    from qa.search.retrieve import _names_place

    text = "支持河南省洛阳市老城区开展试点。在老城区结合棚户区改造推进"
    assert _names_place(text, text.index("老城区"), "河南")  # after 洛阳市
    assert not _names_place(text, text.rindex("老城区"), "河南")  # the old town
    assert _names_place("河南洛阳老城区", 4, "河南")  # near its province's name


@pytest.mark.parametrize(
    ("question", "answered"),
    [
        ("湖南城镇化工作要点的联系电话是多少?", True),  # the document's own contact
        ("Who is the contact person for sending comments on the Hunan draft?", True),  # nothing beyond the contact
        ("Who is the contact person for the Hunan draft, and what is the phone number?", True),  # number → 数字
        ("湖南户籍改革的联系人是谁?", False),  # the letter's contact is not one for 户籍改革
        ("Who is the contact person for Hunan's housing provident fund?", False),
        ("湖南省政府的联系电话是多少?", False),  # 省政府 of the letter's opening is not its subject
        ("湖南数字政府的联系电话是多少?", False),  # 数字 is the phone's only in English
        ("湖南新型城镇化工作要点里高考加分政策的联系人是谁?", False),  # 高考: no clause treats it
        ("What email address should feedback on the Hunan draft be sent to?", True),  # the draft's opening
        # "email address" is 邮箱 (the terminology), not "email" + "address" (讲话, a speech, no word of the title)
        ("Who should I contact about Hunan's draft urbanization priorities, and what is the email address?", True),
    ],
)
def test_a_contact_block_answers_only_for_its_own_document(hashing_engine, question, answered):
    res = hashing_engine.retriever.search(question)
    assert hashing_engine.index.chunks[int(res.ids[0])].kind == "contact"  # shown first, as asked
    assert res.confident == answered
