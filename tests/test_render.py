from dataclasses import replace

from qa.search.judge import Reason
from qa.serve.answer import Answer, Hit
from qa.serve.render import Turn, best_sentence, context_html, conversation_html, highlight, hit_html, mark_spans

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
    assert mark_spans("居住证和居住证", ["居住证"]) == [(0, 3), (4, 7)]
    assert highlight("a<b 落户", ["落户"]) == "a&lt;b <mark>落户</mark>"


def test_best_sentence_is_the_one_covering_most_query_weight():
    text = "加快城市建设。全面放开落户限制,推进居住证制度。其他内容。"
    a, b = best_sentence(text, ["落户", "居住证"], _w)
    assert text[a:b] == "全面放开落户限制,推进居住证制度。"
    assert best_sentence(text, ["养老金"], _w) is None
    assert "<strong class='qa-best'>" in hit_html(_hit(text), ["落户"], _w)


def test_card_shows_full_citation_and_copy_button():
    out = hit_html(_hit("全面放开落户限制。"), ["落户"], _w)
    for part in ("《标题》", "某省人民政府", "2024年", "晋政发〔2024〕1号", "一、总则"):
        assert part in out
    assert "class='qa-copy'" in out and "data-cite='《标题》,某省人民政府,2024年,晋政发〔2024〕1号,一、总则'" in out


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


def test_context_puts_original_beside_simplified_and_frames_the_clause():
    out = context_html("b", [("a", "一、", "前一条", "前一條"), ("b", "一、 › (一)", "本条<b>", "本條<b>")])
    assert out.count("qa-ctx-row") == 2 and "qa-ctx-target" in out
    assert "本條&lt;b&gt;" in out and "本条&lt;b&gt;" in out and "原文" in out
