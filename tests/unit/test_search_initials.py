"""The pinyin initials of names (``search.tokens.initials``) are pypinyin's ``lazy_pinyin`` answer, and a word that
names share (a surname, a given-name character) is converted once."""

from __future__ import annotations

import random

import pytest
from pypinyin import Style, lazy_pinyin
from pypinyin.converter import UltimateConverter

from reception.search import tokens

SURNAMES = ("李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
            "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤单仇解区查曾乐")
GIVEN = "秀英建国伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂红玉华梅生长重行乐和朝藏"


def _names(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def _reference(name: str) -> str:
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore")
    out = "".join(part[:1] for part in letters).lower()
    return out if len(out) == len(name) and out.isascii() and out.isalpha() else ""


def test_initials_are_pypinyins_answer() -> None:
    for name in [*_names(3000, 1), "单雄信", "曾乐乐", "解长生", "区重和", "朝藏"]:
        assert tokens.initials(name) == _reference(name), name
        assert tokens.initials(name) == _reference(name), name  # (and again, from what the converter kept)


def test_a_word_names_share_is_converted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    names = _names(500, 2)
    expected = [_reference(n) for n in names]
    assert [tokens.initials(n) for n in names] == expected
    converted: list[str] = []
    convert = UltimateConverter.convert

    def counted(self: UltimateConverter, words: str, *args: object, **kwargs: object) -> list[list[str]]:
        converted.append(words)
        return convert(self, words, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(UltimateConverter, "convert", counted)
    assert [tokens.initials(n) for n in names] == expected
    assert converted == []  # (every word of these names was converted the first time)
    assert tokens.initials("欧阳修") == "oyx"
    assert converted  # (a new word is converted)
