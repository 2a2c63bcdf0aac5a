"""Statistics on a hand-counted half-year (tests/stats_fixture.py): every report figure, the drill-down behind it,
the dashboard, the breakdowns and the 一考一评 ranking order, on a real SQLite file built through the services."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest

from reception.context import AppContext
from reception.domain.errors import FieldError, FieldErrors
from reception.lifecycle import service as lc
from reception.stats import periods
from reception.stats.dashboard import dashboard
from reception.stats.drill import DrillError, drill
from reception.stats.indicators import INDICATORS, REPORT_KEYS
from reception.stats.ranking import get_weights, save_weights, unit_ranking
from reception.stats.report import period_report
from tests import stats_fixture as fx
from tests.unit.conftest import Desk


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AppContext, fx.StatsData, Desk]]:
    """The data set is built once for the module (it takes a few seconds through the services)."""
    from tests.clock import Clock
    from tests.unit.conftest import open_desk

    clock = Clock(fx.at(date(2025, 12, 1)))
    desk = open_desk(tmp_path_factory.mktemp("stats") / "data", clock)
    ctx = desk.ctx
    data = fx.build(ctx, desk.desk_id, desk.officer_id, clock, desk.unit, desk.category, desk.locality)
    yield ctx, data, desk
    ctx.close()


H1 = periods.half(2026, 1)


def test_every_report_figure_matches_the_hand_count(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, _, _ = built
    report = period_report(ctx, H1)
    got = {f.key: f.value for f in report.figures}
    assert got == fx.H1
    assert [f.key for f in report.figures] == list(REPORT_KEYS)
    rate = report.figure("accept_rate")
    assert (rate.numerator, rate.denominator, rate.text) == (4, 5, "80.0%")
    for f in report.figures:
        assert f.definition == INDICATORS[f.key].definition and len(f.definition) > 10


def test_period_boundaries_count_only_inside(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, _, _ = built
    year = period_report(ctx, periods.year(2026))
    assert year.value("registrations") == 12  # + L on 07-02
    assert year.value("backlog_resolved") == 3  # + H resolved 07-02
    assert year.value("appointments") == 2
    march = period_report(ctx, periods.month(2026, 3))
    assert march.value("registrations") == 8 and march.value("leader_batches") == 3
    assert march.value("down_visits") == 1 and march.value("owned_resolved") == 1  # A closed 03-26
    dec = period_report(ctx, periods.month(2025, 12))
    assert dec.value("registrations") == 1 and dec.value("down_visits") == 1 and dec.value("down_visit_cases") == 1
    assert dec.value("owned_cases") == 2  # B since 2025-11-01, K until 12-31
    empty = period_report(ctx, periods.month(2026, 2))
    assert empty.value("registrations") == 0 and empty.value("accept_rate") is None
    assert empty.figure("accept_rate").text == "—"


@pytest.mark.parametrize("key", [k for k in REPORT_KEYS])
def test_drill_down_lists_the_records_behind_each_figure(built: tuple[AppContext, fx.StatsData, Desk],
                                                         key: str) -> None:
    ctx, data, _ = built
    listed = drill(ctx, key, H1)
    expected = fx.H1[key]
    if INDICATORS[key].unit == "%":
        expected = {"accept_rate": 5, "on_time_rate": 3, "satisfaction_rate": 3}[key]  # the denominators
    elif INDICATORS[key].unit == "人次":
        expected = {"leader_persons": 4, "visit_persons": 8, "collective_persons": 2}[key]  # one row per batch
    assert listed.total == expected == len(listed.rows)
    names = set(data.case_nos.values())
    for row in listed.rows:
        assert H1.contains(row.on) or key == "owned_cases"  # (an ownership in force may have begun before)
        assert row.case_no == "" or row.case_no in names
        assert "某" in row.petitioner or row.petitioner == ""  # masked: surname + 某 + last character


def test_drill_down_names_the_right_cases(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, data, _ = built
    nos = {v: k for k, v in data.case_nos.items()}

    def letters(key: str, **kw: str) -> list[str]:
        return sorted(nos[r.case_no] for r in drill(ctx, key, H1, **kw).rows if r.case_no)

    assert letters("accept_timely") == ["A", "C", "D", "G"]
    assert letters("replied_on_time") == ["A", "C"]
    assert letters("satisfied") == ["A", "C"]
    assert letters("supervised") == ["B", "G"]
    assert letters("owned_resolved") == ["A", "F"]
    assert letters("backlog_hard_resolved") == ["F"]
    assert letters("leader_on_spot") == ["E", "F"]
    assert letters("repeat") == ["A", "H"]
    assert letters("skip_level") == ["E"]
    late = next(r for r in drill(ctx, "accept_rate", H1).rows if nos[r.case_no] == "B")
    assert "逾期" in late.detail and "2026-03-17" in late.detail
    c = next(r for r in drill(ctx, "replied", H1).rows if nos[r.case_no] == "C")
    assert "按期" in c.detail and "延期30日" in c.detail and "2026-06-02" in c.detail
    a = next(r for r in drill(ctx, "new_cases", H1).rows if nos[r.case_no] == "A")
    assert a.petitioner == "夏某云" and "翠园街道" in a.locality and a.unit == "区住房和城乡建设局"
    down = drill(ctx, "down_visits", H1).rows
    assert [r.detail.split("；")[1] for r in down] == [
        f"带案：{'、'.join(sorted([data.case_nos['F'], data.case_nos['G']]))}", f"带案：{data.case_nos['F']}", "未带案"]
    with pytest.raises(DrillError):
        drill(ctx, "score", H1)


def test_breakdowns_and_their_drill_down(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, data, desk = built
    report = period_report(ctx, H1)
    towns = {row[0]: row[1] for row in report.table("by_township").rows}
    assert towns == {"翠园街道": 4, "火车南站街道": 2, "雨溪街道": 1, "城南街道": 1, "罗市镇": 1}
    units = {row[0]: row[1] for row in report.table("by_unit").rows}
    assert units == {"区住房和城乡建设局": 3, "区人力资源和社会保障局": 1, "翠园街道": 1, "火车南站街道": 1,
                     "区生态环境分局": 1, "未交办（领导接访、导入法定途径等）": 2}
    cats = {row[0]: row[1] for row in report.table("by_category").rows}
    assert cats == {"城乡建设": 6, "劳动和社会保障": 1, "国土资源": 1, "生态环境": 1}
    t = report.table("by_township")
    i = [r[0] for r in t.rows].index("翠园街道")
    listed = drill(ctx, t.drill_key, H1, **t.row_filters[i])
    nos = {v: k for k, v in data.case_nos.items()}
    assert sorted(nos[r.case_no] for r in listed.rows) == ["A", "C", "D", "I"]
    u = report.table("by_unit")
    j = [r[0] for r in u.rows].index("未交办（领导接访、导入法定途径等）")
    assert sorted(nos[r.case_no] for r in drill(ctx, u.drill_key, H1, **u.row_filters[j]).rows) == ["E", "F"]
    months = {r[0]: r[1:] for r in report.table("monthly").rows}
    assert months["2026-03"] == (8, 7, 14, 7) and months["2026-04"] == (2, 1, 1, 1)
    assert months["2026-06"] == (1, 0, 0, 1) and months["2026-02"] == (0, 0, 0, 0) and len(months) == 6


def test_dashboard_today_month_and_clocks(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, data, _ = built
    d = dashboard(ctx, on=date(2026, 3, 5))
    assert {f.key: f.value for f in d.today_figures} == {
        "visits": 2, "visit_persons": 4, "registrations": 2, "collective": 1, "repeat": 0, "leader_batches": 2,
        "leader_persons": 4, "leader_on_spot": 1}
    assert {f.key: f.value for f in d.month_figures} == {
        "visits": 5, "visit_persons": 12, "registrations": 6, "collective": 2, "repeat": 0, "leader_batches": 2,
        "leader_persons": 4, "leader_on_spot": 1}
    assert [m.label for m in d.trend][0] == "2025-04" and [m.label for m in d.trend][-1] == "2026-03"
    trend = {m.label: (m.registrations, m.visits, m.persons) for m in d.trend}
    assert trend["2025-12"] == (1, 1, 1) and trend["2026-03"] == (6, 5, 12)  # the month so far, as the tiles
    towns = {row[0]: row[1] for row in d.breakdowns[0].rows}
    assert towns == {"翠园街道": 3, "火车南站街道": 1, "雨溪街道": 1, "罗市镇": 1}
    now = dashboard(ctx, on=fx.NOW)
    assert now.overdue.value == len(fx.OVERDUE_ON_NOW) and now.due_soon.value == len(fx.DUE_SOON_ON_NOW)
    nos = {v: k for k, v in data.case_nos.items()}
    on_now = periods.day_range(fx.NOW, fx.NOW)
    assert {nos[r.case_no] for r in drill(ctx, "overdue", on_now).rows} == fx.OVERDUE_ON_NOW
    assert {nos[r.case_no] for r in drill(ctx, "due_soon", on_now).rows} == fx.DUE_SOON_ON_NOW
    # the same cases as the lifecycle's own lists
    assert {r.case_no for r in lc.overdue(ctx, on=fx.NOW).rows} == {data.case_nos[x] for x in fx.OVERDUE_ON_NOW}


def test_ranking_order_and_scores(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, _, desk = built
    ranking = unit_ranking(ctx, H1)
    code = {desk.unit(c): c for c in ("RSJ", "HBJ", "ZJJ", "CY", "HCNZ")}
    ranked_depts = [(code[r.unit_id], r.score) for r in ranking.departments if r.score is not None]
    ranked_towns = [(code[r.unit_id], r.score) for r in ranking.townships if r.score is not None]
    assert ranked_depts == fx.RANKING_DEPARTMENTS
    assert ranked_towns == fx.RANKING_TOWNSHIPS
    assert [r.rank for r in ranking.departments if r.rank] == [1, 2, 3]
    zjj = next(r for r in ranking.departments if r.unit_id == desk.unit("ZJJ"))
    assert (zjj.accept_rate, zjj.on_time_rate, zjj.satisfaction_rate, zjj.repeat_rate, zjj.supervised) == (
        50.0, 50.0, 50.0, 25.0, 1)
    # a ranking row's drill-down lists exactly the decisions it counts
    table = ranking.tables()[1]
    i = next(i for i, f in enumerate(table.row_filters) if f["unit_id"] == desk.unit("ZJJ"))
    from reception.stats.drill import drill_filtered

    assert drill_filtered(ctx, table.drill_key, H1, table.row_filters[i]).total == zjj.accept_decided == 2
    idle = [r for r in ranking.townships if r.score is None]
    assert idle and all(r.rank is None for r in idle)  # units without cases are listed last, unranked
    table = ranking.tables()[0]
    assert table.rows[0][:2] == (1, "翠园街道") and table.rows[0][-1] == "100.0"


def test_ranking_weights_are_a_setting(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, _, desk = built
    try:
        save_weights(ctx, {"accept_rate": 20, "on_time_rate": 30, "satisfaction_rate": 30, "repeat_rate": 10,
                           "supervised": 0})
        assert get_weights(ctx).supervised == 0
        towns = unit_ranking(ctx, H1).townships
        # HCNZ loses nothing for its supervised case now: a tie at 100, fewer supervised cases first
        assert [(r.unit_id, r.score, r.rank) for r in towns[:2]] == [
            (desk.unit("CY"), 100.0, 1), (desk.unit("HCNZ"), 100.0, 1)]
        with pytest.raises(FieldErrors) as err:
            save_weights(ctx, {"accept_rate": "abc", "supervised": -1})
        assert set(err.value.by_field()) == {"accept_rate", "supervised"}
        with pytest.raises(FieldErrors):
            save_weights(ctx, dict.fromkeys(("accept_rate", "on_time_rate", "satisfaction_rate", "repeat_rate",
                                             "supervised"), 0))
    finally:
        save_weights(ctx, {})
    assert get_weights(ctx).supervised == 10


def test_periods() -> None:
    assert periods.parse("2021").label == "2021年度"
    assert periods.parse("2021-H2") == periods.half(2021, 2)
    assert periods.parse("2021-q3").start == date(2021, 7, 1) and periods.parse("2021-Q3").end == date(2021, 9, 30)
    assert periods.parse("2024-02").end == date(2024, 2, 29)
    r = periods.parse("2021-03-05..2021-04-01")
    assert (r.start, r.end, r.days) == (date(2021, 3, 5), date(2021, 4, 1), 28)
    assert periods.of(date(2021, 1, 1), date(2021, 6, 30)).label == "2021年上半年"
    assert periods.of(date(2021, 4, 1), date(2021, 6, 30)).label == "2021年第二季度"
    assert periods.of(date(2021, 4, 2), date(2021, 6, 30)).kind == "range"
    assert periods.half_of(date(2021, 7, 1)) == periods.half(2021, 2)
    assert list(periods.last_months(date(2021, 2, 10), 3).months()) == [(2020, 12), (2021, 1), (2021, 2)]
    for bad in ("2021-13", "21", "2021-H3", "2021-02-30..2021-03-01"):
        with pytest.raises(FieldError):
            periods.parse(bad)
    with pytest.raises(FieldError):
        periods.day_range(date(2021, 2, 1), date(2021, 1, 1))


def test_report_json_masks_names(built: tuple[AppContext, fx.StatsData, Desk], tmp_path: Path) -> None:
    import json

    ctx, _, _ = built
    text = json.dumps(period_report(ctx, H1).to_json(), ensure_ascii=False)
    listed = json.dumps(drill(ctx, "registrations", H1).to_json(), ensure_ascii=False)
    for full in ("夏明云", "唐华妹", "曹荣生", "13812345678"):
        assert full not in text and full not in listed
    assert "夏某云" in listed


# -- exports and the command line -------------------------------------------------------------------------------------

FULL_NAMES = ("夏明云", "唐华妹", "曹荣生", "任子轩", "姚玉珍", "朱永龙", "何建华", "莫德明", "孙立新", "柯明亮")


def _details(ctx: AppContext) -> list:  # type: ignore[type-arg]
    from reception.stats.export import DETAIL_KEYS

    return [drill(ctx, k, H1) for k in DETAIL_KEYS]


def test_excel_export_reads_back(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    import io

    from openpyxl import load_workbook

    from reception.stats.export import report_xlsx

    ctx, data, _ = built
    wb = load_workbook(io.BytesIO(report_xlsx(period_report(ctx, H1), _details(ctx))))
    assert wb.sheetnames == ["主要指标", "按乡镇（街道）分布", "按问题类别分布", "按责任单位分布", "逐月情况",
                             "统计口径", "明细：化解信访积案", "明细：督办事项", "明细：包案化解"]
    ws = wb["主要指标"]
    assert "2026年上半年" in str(ws["A2"].value)
    assert [c.value for c in ws[3]] == ["类别", "指标", "数值", "单位", "统计口径"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["领导接访批次"][2] == 4 and rows["领导接访人次"][2] == 7  # counts are numbers, not text
    count_cell = next(c for c in ws["C"] if c.value == 4)
    assert count_cell.data_type == "n" and count_cell.number_format == "0"
    assert rows["按期受理率"][2] == 0.8 and rows["满意率"][2] == pytest.approx(0.667)
    rate_cell = next(c for c in ws["C"] if c.value == 0.8)
    assert rate_cell.number_format == "0.0%" and ws["A3"].font.bold
    assert rows["化解信访积案"][4] == INDICATORS["backlog_resolved"].definition
    towns = {r[0]: r[1] for r in wb["按乡镇（街道）分布"].iter_rows(min_row=4, values_only=True) if r[0] and r[1]}
    assert towns["翠园街道"] == 4
    defs = [r[0] for r in wb["统计口径"].iter_rows(min_row=4, values_only=True) if r[0]]
    assert "按期办结率" in defs
    backlog = [r for r in wb["明细：化解信访积案"].iter_rows(min_row=4, values_only=True) if r[0] and r[1]]
    assert sorted(r[0] for r in backlog) == sorted([data.case_nos["A"], data.case_nos["F"]])
    detail = wb["明细：化解信访积案"]
    date_cell = detail.cell(4, 2)
    assert date_cell.is_date and date_cell.number_format == "yyyy-mm-dd"  # a date, not a string
    assert isinstance(date_cell.value, datetime) and date(2026, 1, 1) <= date_cell.value.date() <= date(2026, 6, 30)
    assert detail.cell(4, 1).data_type == "s"  # the case number stays text
    for sheet in wb.worksheets:  # printed on A4, as wide as the page, header row repeated and frozen
        setup = sheet.page_setup
        assert int(setup.paperSize) == 9, sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1 and setup.fitToHeight == 0
        assert sheet.freeze_panes == "A4" and sheet.print_title_rows == "$3:$3", sheet.title
        assert "&P" in sheet.oddFooter.center.text
    assert {r[2] for r in backlog} == {"夏某云", "朱某龙"}
    every = " ".join(str(v) for s in wb.worksheets for row in s.iter_rows(values_only=True) for v in row if v)
    assert not any(n in every for n in FULL_NAMES) and "13812345678" not in every


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "".join("".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def _fonts_embedded(pdf: bytes) -> bool:
    import io
    from typing import cast

    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject

    seen = 0
    for page in PdfReader(io.BytesIO(pdf)).pages:
        res = cast(DictionaryObject, page["/Resources"].get_object())
        fonts = cast(DictionaryObject, res.get("/Font", DictionaryObject()))
        for f in fonts.values():
            font = cast(DictionaryObject, f.get_object())
            if str(font["/Subtype"]) == "/Type0":
                font = cast(DictionaryObject, cast(ArrayObject, font["/DescendantFonts"])[0].get_object())
            desc = font.get("/FontDescriptor")
            if desc is None or "/FontFile2" not in cast(DictionaryObject, desc.get_object()):
                return False
            seen += 1
    return seen > 0


def test_pdf_export_reads_back(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    from reception.stats.export import ranking_pdf, report_pdf

    ctx, data, _ = built
    pdf = report_pdf(period_report(ctx, H1), _details(ctx))
    text = _pdf_text(pdf)
    assert "信访工作统计报告" in text and "2026年上半年" in text
    for name in ("领导接访批次", "现场答复解决问题", "按期受理率", "80.0%", "66.7%", "统计口径",
                 "逐月来访与新登记事项"):
        assert name in text, name
    assert INDICATORS["accept_timely"].definition[:20] in text
    assert data.case_nos["F"] in text and "朱某龙" in text
    assert not any(n in text for n in FULL_NAMES)
    assert _fonts_embedded(pdf)
    ranking = ranking_pdf(unit_ranking(ctx, H1))
    rtext = _pdf_text(ranking)
    assert "一考一评单位排队" in rtext and "区人力资源和社会保障局" in rtext and "47.5" in rtext
    assert _fonts_embedded(ranking)


def test_cli_report_and_ranking(built: tuple[AppContext, fx.StatsData, Desk], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from reception.cli import main

    ctx, _, desk = built
    root = str(ctx.paths.root)
    assert main(["report", "--data-dir", root, "--from", "2026-01-01", "--to", "2026-06-30", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["period"]["label"] == "2026年上半年"
    assert {f["key"]: f["value"] for f in out["figures"]} == fx.H1
    xlsx, pdf = tmp_path / "r.xlsx", tmp_path / "out" / "r.pdf"
    assert main(["report", "--data-dir", root, "--period", "2026-H1", "--format", "xlsx", "-o", str(xlsx)]) == 0
    assert "主要指标" in load_workbook(xlsx).sheetnames
    assert main(["report", "--data-dir", root, "--from", "2026-01-01", "--to", "2026-06-30", "--format", "pdf",
                 "-o", str(pdf)]) == 0
    assert len(PdfReader(pdf).pages) >= 2
    assert main(["ranking", "--data-dir", root, "--period", "2026-H1"]) == 0
    ranking = json.loads(capsys.readouterr().out)
    assert [r["unit_id"] for r in ranking["departments"][:3]] == [desk.unit(c) for c, _ in fx.RANKING_DEPARTMENTS]
    assert main(["report", "--ranking", "--data-dir", root, "--period", "2026-H1", "--format", "xlsx",
                 "-o", str(tmp_path / "k.xlsx")]) == 0
    assert load_workbook(tmp_path / "k.xlsx").sheetnames[:2] == ["乡镇（街道）排队", "区直部门排队"]
    capsys.readouterr()
    assert main(["report", "--data-dir", root, "--from", "2026-07-01", "--to", "2026-06-30"]) == 2
    assert "错误：结束日期不能早于开始日期" in capsys.readouterr().err
    assert main(["report", "--data-dir", root, "--from", "2026-07-01"]) == 2
    assert main(["report", "--data-dir", root, "--period", "2026-H1", "--format", "pdf"]) == 2
    assert "-o" in capsys.readouterr().err


# -- the per-day cache -------------------------------------------------------------------------------------------------


def test_cached_figures_equal_live_ones(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    ctx, _, _ = built
    for period in (H1, periods.year(2026), periods.month(2026, 3), periods.day_range(date(2025, 12, 1),
                                                                                      date(2026, 7, 31))):
        cached = period_report(ctx, period)
        live = period_report(ctx, period, use_cache=False)
        assert [f.to_json() for f in cached.figures] == [f.to_json() for f in live.figures]
        assert [t.to_json() for t in cached.tables] == [t.to_json() for t in live.tables]
    assert unit_ranking(ctx, H1).to_json()["departments"] == unit_ranking(ctx, H1, use_cache=False).to_json()[
        "departments"]


def test_cache_follows_changes_through_the_triggers(tmp_path: Path) -> None:
    """A new visit, a lifecycle step and a change of unit each invalidate their day; the next report is right."""
    from sqlalchemy import func, select

    from reception.bootstrap import open_data_dir
    from reception.db.models import Case, StatsCachedDay, StatsDay
    from reception.db.settings import load_desk_settings
    from reception.demo import seed_reference
    from reception.lifecycle import machine as m
    from reception.stats import cache
    from tests.clock import Clock

    clock = Clock(fx.at(date(2026, 3, 2)))
    ctx = open_data_dir(tmp_path / "d", now=clock)
    try:
        with ctx.db.write() as s:
            seed_reference(s)
        with ctx.db.read() as s:
            st = load_desk_settings(s)
        desk = Desk(ctx, clock, st.desk_id, st.officer_id)
        march = periods.month(2026, 3)
        data = fx.StatsData()

        def register(day: date, unit: str = "ZJJ") -> str:
            from reception.domain.enums import Channel, ContentClass, DocumentType, RoutingAction
            from reception.intake.service import IntakeInput, PersonInput, register_intake

            clock.moment = fx.at(day, 9)
            form = IntakeInput(person=PersonInput(name="夏明云", id_type=DocumentType.NONE, phone="13812345678",
                                                  address="示范区翠园街道某小区"),
                               channel=Channel.VISIT, content_class=ContentClass.CLAIM,
                               category_id=desk.category("CJ01"), locality_id=desk.locality(fx.GRIDS["CY"]),
                               request="要求尽快办证", facts="多年未办证。", routing_action=RoutingAction.ASSIGN,
                               unit_id=desk.unit(unit), override_reason="按职责交办")
            case_id = register_intake(ctx, form, desk_id=desk.desk_id, officer_id=desk.officer_id,
                                      render_receipt=False).case_id
            clock.moment = fx.at(date(2026, 4, 15))  # reports run later (today is never cached)
            return case_id

        data.cases["A"] = register(date(2026, 3, 2))
        assert period_report(ctx, march).value("registrations") == 1
        with ctx.db.read() as s:
            assert s.scalar(select(func.count()).select_from(StatsCachedDay)) == 31
            assert s.scalar(select(func.count()).select_from(StatsDay)) > 0
        register(date(2026, 3, 2))  # the trigger drops 03-02 from the cache
        with ctx.db.read() as s:
            assert date(2026, 3, 2) not in set(s.scalars(select(StatsCachedDay.day)))
            # read without refreshing: the stale day is computed live, the figure is still right
            assert cache.aggregates(s, march.start, march.end, ctx.calendar).visits[
                ("visit", False, False, False)][0] == 2
        assert period_report(ctx, march).value("registrations") == 2
        clock.moment = fx.at(date(2026, 3, 20))
        lc.apply(ctx, data.cases["A"], m.Accept(), actor_id=None)  # late: routed 03-02, due 03-17
        clock.moment = fx.at(date(2026, 4, 15))
        report = period_report(ctx, march)
        assert (report.value("accept_decided"), report.value("accept_timely")) == (1, 0)
        # a changed unit moves the case in the unit breakdown (petition_case trigger)
        with ctx.db.write() as s:
            case = s.get(Case, data.cases["A"])
            assert case is not None
            case.unit_id = desk.unit("RSJ")
        units = {r[0]: r[1] for r in period_report(ctx, march).table("by_unit").rows}
        assert units == {"区住房和城乡建设局": 1, "区人力资源和社会保障局": 1}
        assert period_report(ctx, march).to_json()["figures"] == period_report(ctx, march, use_cache=False).to_json()[
            "figures"]
    finally:
        ctx.close()


def test_cache_is_dropped_when_the_calendar_changes(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    from sqlalchemy import func, select

    from reception.db.models import HolidayDay, StatsCachedDay
    from reception.stats import cache

    ctx, _, _ = built
    period_report(ctx, H1)
    with ctx.db.read() as s:
        before = cache.fingerprint(s)
        assert s.scalar(select(func.count()).select_from(StatsCachedDay)) >= 181
    with ctx.db.write() as s:
        s.add(HolidayDay(day=date(2026, 3, 16), workday=False, name="测试", source="admin"))
    try:
        with ctx.db.read() as s:
            assert cache.fingerprint(s) != before
            # a stale fingerprint: everything is computed live until the cache is rebuilt
            assert cache.aggregates(s, H1.start, H1.end, ctx.calendar).decisions
        with ctx.db.write() as s:
            assert cache.refresh(s, H1.start, H1.end, ctx.calendar) > 0
    finally:
        with ctx.db.write() as s:
            found = s.get(HolidayDay, date(2026, 3, 16))
            if found is not None:
                s.delete(found)
        period_report(ctx, H1)


def test_cold_build_by_day_equals_day_by_day(built: tuple[AppContext, fx.StatsData, Desk]) -> None:
    from reception.lifecycle.service import load_settings
    from reception.stats import cache
    from reception.stats.common import Timeliness, load_directory

    ctx, _, _ = built
    with ctx.db.read() as s:
        timing = Timeliness(ctx.calendar, load_settings(s))
        d = load_directory(s)
        grouped = cache.live_by_day(s, date(2025, 12, 1), date(2026, 7, 31), timing)
        assert len(grouped) >= 15
        day = date(2025, 12, 1)
        while day <= date(2026, 7, 31):
            one = sorted(map(str, cache._rows(day, cache.live(s, day, day, timing), d)))
            if day in grouped:
                assert sorted(map(str, cache._rows(day, grouped[day], d))) == one, day
            else:
                assert not one, day
            day = date.fromordinal(day.toordinal() + 1)


def test_a_change_during_the_cache_build_is_not_lost(built: tuple[AppContext, fx.StatsData, Desk],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The aggregation runs outside the write lock; a day whose rows change meanwhile is not marked current."""
    from sqlalchemy import select, update

    from reception.db.models import StatsCachedDay, Visit
    from reception.stats import cache

    ctx, data, _ = built
    period = periods.month(2026, 4)
    with ctx.db.write() as s:
        s.execute(update(StatsCachedDay).where(StatsCachedDay.day >= period.start,
                                               StatsCachedDay.day <= period.end).values(ready=False))
    original = cache._compute
    day = date(2026, 4, 20)

    def racing(session, first, last, timing):  # type: ignore[no-untyped-def]
        result = original(session, first, last, timing)
        with ctx.db.write() as w:  # another desk's write while the month is being aggregated
            visit = w.scalars(select(Visit).where(Visit.visited_on == day)).first()
            assert visit is not None
            visit.headcount += 4
        return result

    monkeypatch.setattr(cache, "_compute", racing)
    try:
        cache.ensure(ctx, period.start, period.end)
        with ctx.db.read() as s:
            ready = set(s.scalars(select(StatsCachedDay.day).where(StatsCachedDay.ready.is_(True),
                                                                    StatsCachedDay.day >= period.start)))
        assert day not in ready and date(2026, 4, 1) in ready
        monkeypatch.setattr(cache, "_compute", original)
        assert period_report(ctx, period).value("visit_persons") == period_report(
            ctx, period, use_cache=False).value("visit_persons") == 5  # H2's visit: 1 + 4
    finally:
        with ctx.db.write() as s:
            visit = s.scalars(select(Visit).where(Visit.visited_on == day)).first()
            assert visit is not None
            visit.headcount -= 4
