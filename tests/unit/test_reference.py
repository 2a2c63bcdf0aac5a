"""The reference workbook: a district imported into an empty desk, exported and imported again unchanged, a
workbook with problems reported row by row (and nothing stored), retiring, routing, the command line, the server."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from reception.cli import main as cli_main
from reception.context import AppContext
from reception.db.models import Category, Locality, RoutingRule, Unit
from reception.domain.errors import FieldErrors, ReceptionError
from reception.intake import directory
from reception.reference.defaults import default_categories, load_default_file, seed_default_categories
from reception.reference.model import Kind, UnitRow
from reception.reference.store import (
    ReferenceImportError,
    export_workbook,
    import_workbook,
    list_rows,
    read_reference,
    save_row,
    set_active,
    stable_id,
    template_workbook,
)
from reception.reference.workbook import WorkbookError, read_workbook
from reception.setup import init_data_dir
from tests.reference_fixture import write_district


@pytest.fixture
def empty(tmp_path: Path) -> AppContext:
    ctx = init_data_dir(tmp_path / "desk")
    yield ctx  # type: ignore[misc]
    ctx.close()


def _count(ctx: AppContext, model: type) -> int:
    with ctx.db.read() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_a_fresh_desk_has_nothing_and_the_template_reads_back_empty(empty: AppContext) -> None:
    assert [_count(empty, m) for m in (Locality, Unit, Category, RoutingRule)] == [0, 0, 0, 0]
    data, issues = read_workbook(template_workbook())
    assert issues == [] and data.counts() == {k: 0 for k in Kind}
    assert read_workbook(export_workbook(empty, actor_id=None))[0].counts() == {k: 0 for k in Kind}


def test_import_export_round_trip(empty: AppContext, tmp_path: Path) -> None:
    summary = import_workbook(empty, write_district(tmp_path / "district.xlsx"), actor_id=None)
    assert summary.added == {Kind.LOCALITY: 7, Kind.UNIT: 4, Kind.CATEGORY: 7, Kind.RULE: 4}
    with empty.db.read() as s:
        before = read_reference(s)
        town = s.scalar(select(Locality).where(Locality.code == "HX"))
        assert town is not None and town.id == stable_id("locality", "HX") and town.level == "township"
        grid = s.scalar(select(Locality).where(Locality.code == "HX-01-02"))
        assert grid is not None and directory.locality_label(s, grid.id) == "和平街道 / 和平社区 / 第二网格"
        unit = s.scalar(select(Unit).where(Unit.code == "HX"))
        assert unit is not None and (unit.contact_person, unit.contact_phone) == ("周红", "0731-8888001")
        fd03 = s.scalar(select(Category).where(Category.code == "FD03"))
        assert fd03 is not None and directory.legal_channel_for(s, fd03.id) == "区劳动人事争议仲裁委员会（申请仲裁）"
        # the rules route: a township rule for 物业管理 in 石桥镇, the department rule for 房屋办证 anywhere
        cj02 = s.scalar(select(Category.id).where(Category.code == "CJ02"))
        sq_grid = s.scalar(select(Locality.id).where(Locality.code == "SQ-01-01"))
        proposal = directory.propose_route(s, str(cj02), sq_grid)
        assert proposal is not None and proposal.unit_name == "石桥镇人民政府"
    exported = export_workbook(empty, actor_id=None)
    (tmp_path / "export.xlsx").write_bytes(exported)
    sheets = load_workbook(tmp_path / "export.xlsx").sheetnames
    assert sheets == ["填写说明", "属地", "责任单位", "问题类别", "交办规则"]
    again = import_workbook(empty, exported, actor_id=None)
    assert sum(again.added.values()) == 0 and sum(again.changed.values()) == 0, again.text
    with empty.db.read() as s:
        assert read_reference(s) == before
    # the same workbook on another desk names the same records the same way
    other = init_data_dir(tmp_path / "other")
    try:
        import_workbook(other, exported, actor_id=None)
        with other.db.read() as s, empty.db.read() as t:
            ids = lambda sess: sorted(sess.scalars(select(RoutingRule.id)))  # noqa: E731
            assert ids(s) == ids(t)
    finally:
        other.close()


def test_a_workbook_with_problems_gives_the_report_and_stores_nothing(empty: AppContext, tmp_path: Path) -> None:
    with pytest.raises(ReferenceImportError) as info:
        import_workbook(empty, write_district(tmp_path / "bad.xlsx", broken=True), actor_id=None)
    found = {(i.sheet, i.row, i.column): i.message for i in info.value.issues}
    assert "没有代码为“NOPE”的属地" in found[("属地", 9, "上级代码")]
    assert "层级" in found[("属地", 10, "层级")]
    assert "重复" in found[("属地", 11, "代码")]
    assert "整数" in found[("交办规则", 6, "优先级")]
    assert "没有代码为“XXJ”的责任单位" in found[("交办规则", 6, "责任单位代码")]
    assert len(found) == 5, found
    assert "属地 第9行“上级代码”" in info.value.message
    assert [_count(empty, m) for m in (Locality, Unit, Category, RoutingRule)] == [0, 0, 0, 0]


def test_not_a_workbook(empty: AppContext, tmp_path: Path) -> None:
    bad = tmp_path / "x.xlsx"
    bad.write_text("名称,代码\n", encoding="utf-8")
    with pytest.raises(WorkbookError):
        import_workbook(empty, bad, actor_id=None)


def test_add_edit_retire_one_row(empty: AppContext, tmp_path: Path) -> None:
    import_workbook(empty, write_district(tmp_path / "d.xlsx"), actor_id=None)
    unit_id = save_row(empty, Kind.UNIT, UnitRow("MZJ", "区民政局", "department", contact_person="王芳"),
                       actor_id=None)
    with pytest.raises(FieldErrors) as info:
        save_row(empty, Kind.UNIT, UnitRow("MZJ", "另一个", "department"), actor_id=None)
    assert info.value.by_field() == {"code": "代码“MZJ”已存在"}
    with pytest.raises(FieldErrors) as info:
        save_row(empty, Kind.UNIT, UnitRow("X1", "", "department", locality_code="ZZ"), actor_id=None)
    assert set(info.value.by_field()) == {"name", "locality_code"}
    save_row(empty, Kind.UNIT, UnitRow("MZJ", "区民政局（改）", "department", contact_phone="0731-1"),
             record_id=unit_id, actor_id=None)
    set_active(empty, Kind.UNIT, unit_id, False, actor_id=None)
    rows = dict(list_rows(empty, Kind.UNIT))
    assert rows[unit_id] == UnitRow("MZJ", "区民政局（改）", "department", contact_phone="0731-1", active=False)
    with empty.db.read() as s:
        assert "区民政局（改）" not in [u.name for u in directory.units(s)]
    # a unit that an active rule routes to, or a township with active villages, is not retired
    zjj = next(i for i, r in list_rows(empty, Kind.UNIT) if r.code == "ZJJ")  # type: ignore[union-attr]
    with pytest.raises(ReceptionError, match="交办规则"):
        set_active(empty, Kind.UNIT, zjj, False, actor_id=None)
    hx = next(i for i, r in list_rows(empty, Kind.LOCALITY) if r.code == "HX")  # type: ignore[union-attr]
    with pytest.raises(ReceptionError, match="下级"):
        set_active(empty, Kind.LOCALITY, hx, False, actor_id=None)
    # a retired rule proposes nothing
    rule = next(i for i, r in list_rows(empty, Kind.RULE) if r.category_code == "CJ01")  # type: ignore[union-attr]
    set_active(empty, Kind.RULE, rule, False, actor_id=None)
    with empty.db.read() as s:
        cj01 = s.scalar(select(Category.id).where(Category.code == "CJ01"))
        assert directory.propose_route(s, str(cj01), None) is None
    assert _count(empty, Unit) == 5 and _count(empty, RoutingRule) == 4  # nothing deleted


def test_the_default_category_tree(empty: AppContext) -> None:
    assert "不是国家信访局" in load_default_file()["source"]
    rows = default_categories()
    assert len({r.code for r in rows}) == len(rows) > 40
    with empty.db.write() as s:
        summary = seed_default_categories(s)
        assert summary is not None and summary.added[Kind.CATEGORY] == len(rows)
        assert seed_default_categories(s) is None  # only on a desk without categories
    with empty.db.read() as s:
        tree = directory.category_tree(s)
        assert any(n.name == "城乡建设" for n in tree)
        fd = next(n for n in tree if n.code == "FD")
        assert all(c.legal_channel for c in fd.children)


def test_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "desk"
    assert cli_main(["init", "--data-dir", str(root)]) == 0
    assert cli_main(["reference", "import", str(write_district(tmp_path / "bad.xlsx", broken=True)),
                     "--data-dir", str(root)]) == 1
    err = capsys.readouterr().err
    assert "未导入任何数据" in err and "属地 第9行“上级代码”" in err
    assert cli_main(["reference", "import", str(write_district(tmp_path / "d.xlsx")), "--data-dir", str(root)]) == 0
    assert "属地新增7条" in capsys.readouterr().out
    out = tmp_path / "out" / "export.xlsx"
    assert cli_main(["reference", "export", str(out), "--data-dir", str(root)]) == 0
    data, issues = read_workbook(out)
    assert issues == [] and data.counts() == {Kind.LOCALITY: 7, Kind.UNIT: 4, Kind.CATEGORY: 7, Kind.RULE: 4}
    assert cli_main(["reference", "template", str(tmp_path / "t.xlsx")]) == 0


def test_server_import_reference_takes_the_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from reception.server.db import open_server_database
    from reception.server.models import Record

    url = f"sqlite:///{(tmp_path / 'server.sqlite3').as_posix()}"
    args = ["server", "import-reference", "--db", url]
    assert cli_main([*args, str(write_district(tmp_path / "bad.xlsx", broken=True))]) == 1
    assert "未发布任何数据" in capsys.readouterr().err
    assert cli_main([*args, str(write_district(tmp_path / "d.xlsx"))]) == 0
    assert "已发布基础数据 22 条" in capsys.readouterr().out
    db = open_server_database(url)
    try:
        with db.session() as s:
            ids = set(s.scalars(select(Record.record_id).where(Record.table_name == "locality")))
        assert stable_id("locality", "HX-01-02") in ids
    finally:
        db.dispose()
    # a second workbook changes one unit's contact: one record published again, the rest left alone
    wb = load_workbook(tmp_path / "d.xlsx")
    wb["责任单位"]["E3"] = "陈立"
    for title in ("属地", "问题类别", "交办规则"):
        del wb[title]
    wb.save(tmp_path / "d2.xlsx")
    assert cli_main([*args, str(tmp_path / "d2.xlsx")]) == 0
    assert "已发布基础数据 1 条" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli_main(["server", "import-reference", "--db", url, "--bogus"])
