"""The statutory public holidays of any year (《全国年节及纪念日放假办法》), computed.

The State Council publishes each year's arrangement (调休: bridge days off and make-up working weekends) in the
autumn; until then the app still knows the *statutory* days off, which the 办法 fixes by date or by the lunar
calendar and the solar terms. Under the 2024 revision (in force from 1 January 2025) they are 13 days:

=========  ==============================================  ====
元旦        1 January                                        1
春节        农历除夕 to 正月初三 (除夕 is the day before 正月初一) 4
清明节      the day of the solar term 清明                    1
劳动节      1 and 2 May                                      2
端午节      农历五月初五                                        1
中秋节      农历八月十五                                        1
国庆节      1 to 3 October                                   3
=========  ==============================================  ====

Earlier revisions (``RULES`` says which applies to a year): 2014–2024 (2013 revision) 11 days, 春节 正月初一 to 初三
and 劳动节 1 May only; 2008–2013 (2007 revision) 11 days, 春节 除夕 to 正月初二; 2000–2007 (1999 revision) 10 days,
春节 初一 to 初三, 劳动节 1–3 May, no 清明/端午/中秋. Years before 2000 are answered with the 1999 rules.

Library: ``lunar-python`` (6tail's *lunar*, MIT licence, pure Python, maintained: 1.4.x releases through 2025). It
computes the lunar months and the 24 solar terms astronomically (the 寿星天文历 algorithm) rather than from a
table, so 清明 (4 or 5 April) comes out right in every year and 除夕 is taken as "the day before 正月初一", which is
also right when 腊月 has only 29 days (2025: 除夕 was 腊月廿九, 28 January). Compared, briefly (1950–2099):

* ``lunardate`` (pure Python, table 1900–2099): no solar terms at all (so no 清明), and its table gives 中秋 1978
  as 16 September (it was the 17th);
* ``borax`` (pure Python, tables): has solar terms, but its 2089 中秋 differs from the astronomical date;
* not run here, from their descriptions: ``cnlunar`` (pure Python, an almanac library: 黄历, 宜忌, far more than
  needed), ``zhdate`` (a lunar conversion table, no solar terms), ``sxtwl`` (a C++ extension: a compiled wheel per
  platform for the Windows build, for the same astronomical algorithm).

``lunar-python`` agrees with the ``chinese-calendar`` package on every statutory day of 2004–2026
(tests/unit/test_statutory.py) and with ``lunardate`` and ``borax`` in every other year they share except the two
above.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

__all__ = ["StatutoryRules", "rules_for", "statutory_holidays"]


@dataclass(frozen=True, slots=True)
class StatutoryRules:
    """One revision of the 办法: which days are off."""

    since: int
    """The first year the revision applies to."""
    title: str
    spring_from: int
    """春节 starts this many days from 正月初一 (-1: 除夕)."""
    spring_days: int
    labour_days: int
    lunar_festivals: bool
    """清明, 端午 and 中秋 are holidays (from 2008)."""

    @property
    def total(self) -> int:
        return 1 + self.spring_days + self.labour_days + 3 + (3 if self.lunar_festivals else 0)


RULES: tuple[StatutoryRules, ...] = (
    StatutoryRules(2025, "《全国年节及纪念日放假办法》（2024年修订）", -1, 4, 2, True),
    StatutoryRules(2014, "《全国年节及纪念日放假办法》（2013年修订）", 0, 3, 1, True),
    StatutoryRules(2008, "《全国年节及纪念日放假办法》（2007年修订）", -1, 3, 1, True),
    StatutoryRules(0, "《全国年节及纪念日放假办法》（1999年修订）", 0, 3, 3, False),
)


def rules_for(year: int) -> StatutoryRules:
    """The revision of the 办法 that applies to ``year``."""
    return next(r for r in RULES if year >= r.since)


def _solar(s: object) -> date:
    return date(s.getYear(), s.getMonth(), s.getDay())  # type: ignore[attr-defined]


def _lunar_day(year: int, month: int, day: int) -> date:
    from lunar_python import Lunar  # type: ignore[import-untyped]  # (28 modules: only for years beyond the package)

    return _solar(Lunar.fromYmd(year, month, day).getSolar())


def _qingming(year: int) -> date:
    from lunar_python import Solar

    table = Solar.fromYmd(year, 4, 1).getLunar().getJieQiTable()
    return _solar(table["清明"])


@cache
def _computed(year: int) -> tuple[tuple[date, str], ...]:
    r = rules_for(year)
    out: dict[date, str] = {date(year, 1, 1): "元旦"}
    new_year = _lunar_day(year, 1, 1)
    for i in range(r.spring_days):
        out[new_year + timedelta(days=r.spring_from + i)] = "春节"
    if r.lunar_festivals:
        out[_qingming(year)] = "清明节"
    for i in range(r.labour_days):
        out[date(year, 5, 1 + i)] = "劳动节"
    if r.lunar_festivals:
        out[_lunar_day(year, 5, 5)] = "端午节"
    for i in range(3):
        out[date(year, 10, 1 + i)] = "国庆节"
    if r.lunar_festivals:
        mid_autumn = _lunar_day(year, 8, 15)
        out[mid_autumn] = "国庆节、中秋节" if mid_autumn in out else "中秋节"  # (2001, 2020: on 1 October)
    return tuple(sorted((d, n) for d, n in out.items() if d.year == year))


def statutory_holidays(year: int) -> dict[date, str]:
    """The statutory days off of ``year`` by law (no 调休), with their names: 13 from 2025, 11 in 2008–2024."""
    return dict(_computed(year))
