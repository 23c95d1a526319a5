from qa.answer import Answer, Hit
from qa.ui import render


def _hit(text: str, title: str = "《标题》") -> Hit:
    return Hit(1, "d#0001", "d.txt", title, "某省人民政府", "山西", 2024, "", "一、总则", text, text, 0.9, 0.8, 3.0)


def test_render_escapes_document_and_question_text():
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    out = render(Answer("q", [_hit(evil, title=evil)], True))
    assert "<script>" not in out and "<img" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_render_marks_weak_answers_and_shows_citation():
    out = render(Answer("q", [_hit("全面放开落户限制。")], False, "文件中没有找到直接相关的条款"))
    assert "文件中没有找到直接相关的条款" in out and "仅供参考" in out
    assert "某省人民政府" in out and "2024年" in out and "一、总则" in out
