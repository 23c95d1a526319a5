from dataclasses import replace

from qa.search import Filters
from qa.search.judge import Reason
from qa.serve.answer import Answer, Hit
from qa.serve.export import to_html, to_markdown
from qa.serve.extract import key_span, short_answer
from qa.serve.render import DocRow, Turn, conversation_html, highlight, hit_html, landing_html
from qa.serve.viewer import ViewRow, viewer_html
from qa.text import term_spans

EVIL = "<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3))"


def _hit(text: str, title: str = "《标题》", section: str = "一、总则") -> Hit:
    return Hit(
        1, "d.txt#0001", "d.txt", title, "某省人民政府", "山西", 2024, "晋政发〔2024〕1号", section, text, text, 0.9, 0.8, 3.0
    )


def _w(term: str) -> float:
    return 1.0


def test_everything_from_documents_and_questions_is_escaped():
    turn = Turn(EVIL, Answer(EVIL, [_hit(EVIL, title=EVIL, section=EVIL)], "answered", terms=("script", "img")))
    out = conversation_html([turn], _w)
    assert "<script" not in out and "<img" not in out and "href" not in out
    assert "&lt;script&gt;" in out and "&lt;img src=x onerror=alert(2)&gt;" in out


def test_citation_attribute_cannot_break_out():
    out = hit_html(_hit("正文", title="a' onmouseover='alert(1)"), (), _w)
    assert "onmouseover='alert" not in out and "&#x27; onmouseover=&#x27;alert(1)" in out


def test_highlight_marks_query_words_longest_first():
    assert highlight("全面放开落户限制", ["落户", "落户限制", "放"]) == "全面放开<mark>落户限制</mark>"
    assert term_spans("居住证和居住证", ["居住证"]) == [(0, 3), (4, 7)]
    assert highlight("a<b 落户", ["落户"]) == "a&lt;b <mark>落户</mark>"


def test_best_sentence_is_the_one_covering_most_query_weight():
    text = "加快城市建设。全面放开落户限制,推进居住证制度。其他内容。"
    a, b = key_span(text, ["落户", "居住证"], _w)
    assert text[a:b] == "全面放开落户限制,推进居住证制度。"
    assert key_span(text, ["养老金"], _w) is None
    assert "<strong class='qa-best'>" in hit_html(_hit(text), ["落户"], _w)


def test_card_shows_document_status_and_the_citation_as_staff_write_it():
    out = hit_html(_hit("全面放开落户限制。"), ["落户"], _w)
    assert "class='qa-docname'>《标题》<" in out and "山西 · 2024年" in out and "现行有效" in out
    assert "data-cite='《标题》（晋政发〔2024〕1号）一、总则'" in out and "class='qa-copy'" in out
    assert "data-action='open' data-chunk='d.txt#0001'" in out  # 查看原文
    notice = hit_html(_hit("条款", title="国务院关于印发《行动计划》的通知"), ["落户"], _w)
    assert "data-cite='《国务院关于印发〈行动计划〉的通知》（晋政发〔2024〕1号）一、总则'" in notice  # nested as 〈〉
    assert "qa-docname'>《行动计划》<" in notice  # the short name: the plan the notice issues
    old = hit_html(replace(_hit("条款"), status="被替代", successor="new.txt"), ["落户"], _w)
    assert "qa-alert'>被替代<" in old and "已由 new.txt 替代" in old


def test_a_long_clause_shows_its_key_sentence_and_folds_the_rest():
    text = "一、总体要求。" + "坚持以人为本推进城镇化，" * 8 + "全面放开城区人口300万以下城市落户限制。其余事项另行规定。"
    out = hit_html(_hit(text), ["落户"], _w)
    key, folded = out.split("<details", 1)
    assert "<mark>落户</mark>限制" in key and "总体要求" not in key  # only the key sentence up front
    assert "<summary>展开全文</summary>" in folded and "总体要求" in folded and "其余事项另行规定" in folded
    assert "<details" not in hit_html(_hit("全面放开落户限制。"), ["落户"], _w)  # a short clause is shown whole


def test_the_answer_comes_first_each_line_from_a_clause_with_a_marker_to_its_card():
    hits = [
        _hit("一、总则。本办法适用于全省。全面放开落户限制,推进居住证制度。"),
        replace(_hit("居住证持有人可以申请公租房保障。"), rank=2, chunk_id="d.txt#0002"),
        replace(_hit("落款"), rank=3, kind="signoff"),
    ]
    ans = Answer("落户和居住证", hits, "answered", terms=("落户", "居住证"))
    assert short_answer(ans, _w) == [("全面放开落户限制,推进居住证制度。", 1), ("居住证持有人可以申请公租房保障。", 2)]
    out = conversation_html([Turn("问", ans, tid="t1")], _w)
    assert out.index("qa-summary") < out.index("qa-hit")  # the answer above the cards
    assert "data-target='qa-card-t1-2'" in out and "id='qa-card-t1-2'" in out
    assert short_answer(replace(ans, hits=[replace(h, mentions=False) for h in hits]), _w) == []
    weak = conversation_html([Turn("问", replace(ans, status="not_found"), tid="t1")], _w)
    assert "qa-summary" not in weak  # no answer line when the documents do not answer


def test_filters_date_and_vote_are_shown_on_the_answer_they_belong_to():
    ans = Answer("问", [_hit("条款")], "answered")
    turn = Turn("问", ans, tid="t1", filters=Filters(("d.txt",), ("山西",), (2024,)), as_of="2020-01-01", vote="down")
    out = conversation_html([turn, Turn("再问", ans, tid="t2")], _w, doc_names={"d.txt": "《标题》"})
    first, second = out.split("data-turn='t2'", 1)
    for chip in ("文件：《标题》", "地区：山西", "年份：2024", "按 2020-01-01 时的效力"):
        assert chip in first and chip not in second
    assert "data-value='down' aria-pressed='true'" in first and "答非所问" in first
    assert "aria-pressed='true'" not in second.split("qa-feedback")[1]


def test_landing_lists_the_documents_searched():
    out = landing_html([DocRow("《规划》", "山西", 2024, "现行有效"), DocRow("<b>草稿</b>", "湖南", 2021, "征求意见稿")])
    assert "检索的文件（2 个）" in out and "《规划》" in out and "征求意见稿" in out and "&lt;b&gt;" in out
    assert conversation_html([], _w, landing=out) == out


def test_weak_answers_are_said_plainly_and_marked():
    reason = Reason("topic_not_found", "文件中没有找到直接相关的条款")
    out = conversation_html([Turn("问", Answer("问", [_hit("条款")], "not_found", (reason,)))], _w)
    assert "文件中没有找到直接相关的条款" in out and "qa-weak-hit" in out and "相关性弱" in out
    partial = Answer("问", [_hit("条款")], "partial", (Reason("detail_not_stated", "文件没有给出具体数额"),))
    out = conversation_html([Turn("问", partial)], _w)
    assert "部分回答：文件没有给出具体数额。以下是相关条款。" in out and "qa-weak-hit" not in out
    place = Answer(
        "问", [_hit("条款")], "partial", (Reason("place_not_covered", "所收录文件中没有上海的文件；以下是国家层面的相关规定"),)
    )
    assert conversation_html([Turn("问", place)], _w).count("以下是") == 1  # said once
    silent = Answer(
        "问", [replace(_hit("条款"), mentions=False)], "partial", (Reason("doc_silent", "所收录的湖南文件未提及居住证"),)
    )
    assert "未提及" in conversation_html([Turn("问", silent, compare=True)], _w)


def test_compare_turn_is_laid_out_side_by_side_and_messages_shown():
    turn = Turn("问", Answer("问", [_hit("甲"), _hit("乙")], "answered"), compare=True)
    assert "<div class='qa-compare'>" in conversation_html([turn], _w)
    assert "请先输入" in conversation_html([Turn("", None, "请先输入一个问题")], _w)
    long = Turn("问", Answer("问", [_hit("甲")], "answered", truncated=True))
    assert "问题太长" in conversation_html([long], _w)


def test_viewer_shows_the_whole_document_at_the_clause_with_the_original_beside():
    rows = [
        ViewRow("a", ("一、总则",), "前一条", "前一條"),
        ViewRow("b", ("一、总则", "(一)落户"), "全面放开落户限制。<b>", "全面放開落戶限制。<b>"),
        ViewRow("c", ("二、保障",), "后一条", "後一條"),
    ]
    out = viewer_html("某省<规划>", ["省政府", "2024年"], "现行有效", rows, "b", ["落户"], _w)
    assert out.count("qa-v-row") == 3 and out.count("qa-v-target") == 1 and "<mark>落户</mark>" in out
    assert "全面放開落戶限制。&lt;b&gt;" in out and "某省&lt;规划&gt;" in out and "qa-v-close" in out
    assert out.count("data-jump=") == 2  # the outline: 一、总则 and 二、保障
    assert viewer_html("t", [], "", [], "b", [], _w) == ""


def test_export_has_each_question_status_clauses_in_full_and_index_version():
    ans = Answer("落户条件", [_hit("全面放开落户限制。\n第二行。")], "partial", (Reason("x", "文件没有给出具体数额"),))
    turns = [Turn("落户条件", ans, tid="t", asked_at="2026-11-24 09:00", as_of="2020-01-01"), Turn("", None, "请先输入")]
    md = to_markdown(turns, "build-1", "2026-11-24 09:05")
    assert "## 1. 落户条件" in md and "部分回答：文件没有给出具体数额" in md and "索引版本：build-1" in md
    assert "> 全面放开落户限制。\n> 第二行。" in md and "《标题》（晋政发〔2024〕1号）一、总则" in md
    assert "按 2020-01-01" in md and md.count("## ") == 1
    page = to_html([Turn(EVIL, replace(ans, question=EVIL), tid="t")], "v", "now")
    assert "<script" not in page and "&lt;script&gt;" in page


def test_the_whole_record_is_one_copy_button_away_and_cannot_break_out():
    turn = Turn("问", Answer("问", [_hit("条款")], "answered"), tid="t")
    out = conversation_html([turn], _w, record="# 政策依据单\n> a' onclick='x")
    assert "class='qa-copy qa-copy-all' data-cite='# 政策依据单\n&gt; a&#x27; onclick=&#x27;x'" in out
    assert "qa-copy-all" not in conversation_html([turn], _w)
