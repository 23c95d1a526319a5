from qa.ingest.normalize import find_mojibake, is_pinyin, normalize, normalize_query


def test_pinyin_removed_and_real_parentheses_kept():
    src = "國(guó)務(wù)院 技(jì )能 規劃(2021—2035年) 職業院校(含技工院校) 細顆粒物(PM2.5) (一)發展方向 都市圈(区)"
    out = normalize(src).text
    assert "国务院" in out and "技能" in out
    for kept in ("(2021—2035年)", "(含技工院校)", "(PM2.5)", "(一)", "(区)"):
        assert kept in out
    assert "guó" not in out and "jì" not in out


def test_pinyin_shape():
    assert is_pinyin("guó") and is_pinyin("zhōng") and is_pinyin("de")
    assert not is_pinyin("PM") and not is_pinyin("xyz")


def test_traditional_to_simplified_and_width_folding():
    assert normalize("農業轉移人口（二）ＡＢＣ１２").text == "农业转移人口(二)ABC12"


def test_mojibake_runs_found_and_cut(seeds):
    raw = (seeds / "003_217c44fc42c73619.txt").read_text(encoding="utf-8")
    n = normalize(raw)
    cut = [raw[a:b] for a, b in n.mojibake_runs]
    assert any(c.startswith("?,F") for c in cut)
    assert any("刂瞥鞘" in c for c in cut)
    assert "?" not in n.text and "刂" not in n.text and "摿" not in n.text
    # the text around a run is intact
    assert "背街小巷等环境卫生死角整治" in n.text


def test_lone_question_mark_is_not_mojibake():
    assert find_mojibake("怎么办?请联系") == []
    assert find_mojibake("落户吗?") == []


def test_origin_maps_back_to_source():
    raw = "國(guó)務(wù)院關于印發"
    n = normalize(raw)
    a, b = n.original_span(0, 3)
    assert raw[a:b] == "國(guó)務(wù)院"
    assert len(n.origin) == len(n.text)


def test_query_normalization_drops_control_characters():
    assert normalize_query("長沙\x00保障性\t租賃  住房") == "长沙保障性 租赁 住房"
