"""The case list's table model (column constants; rows are the core's CaseSummary)."""

from __future__ import annotations

from datetime import date

from reception.intake.dto import CaseSummary
from ui.icons import case_status_icon
from ui.table_model import Column, ObjectRole, RowTableModel, SortRole
from ui.widgets import shown_flags

__all__ = ["CaseTableModel", "ObjectRole", "SortRole"]

COL_CASE_NO = 0
COL_REGISTERED = 1
COL_PETITIONER = 2
COL_ID = 3
COL_PHONE = 4
COL_CATEGORY = 5
COL_LOCALITY = 6
COL_UNIT = 7
COL_STATUS = 8
COL_VISITS = 9
COL_LAST_VISIT = 10
COL_FLAGS = 11
COLUMN_COUNT = 12


def _day(d: date) -> str:
    return f"{d:%Y-%m-%d}"


def _request(c: CaseSummary) -> str | None:
    return f"诉求：{c.request_excerpt}" if c.request_excerpt else None


class CaseTableModel(RowTableModel[CaseSummary]):
    COLUMNS = (
        Column[CaseSummary]("案件编号", lambda c: c.case_no),
        Column[CaseSummary]("登记日期", lambda c: _day(c.registered_on), sort=lambda c: c.registered_on.toordinal()),
        Column[CaseSummary]("信访人", lambda c: c.petitioner_names, tooltip=_request),
        Column[CaseSummary]("证件号码", lambda c: c.id_masked),
        Column[CaseSummary]("联系电话", lambda c: c.phone_masked),
        Column[CaseSummary]("问题类别", lambda c: c.category, tooltip=_request),
        Column[CaseSummary]("问题属地", lambda c: c.locality),
        Column[CaseSummary]("责任单位", lambda c: c.unit, tooltip=_request),
        Column[CaseSummary]("状态", lambda c: c.status_label, icon=lambda c: case_status_icon(c.status)),
        Column[CaseSummary]("来访次数", lambda c: str(c.visit_count), sort=lambda c: c.visit_count, right=True),
        Column[CaseSummary]("最近来访", lambda c: _day(c.last_visit_on), sort=lambda c: c.last_visit_on.toordinal()),
        Column[CaseSummary]("提示", lambda c: "、".join(f.label for f in shown_flags(c))),
    )
    assert len(COLUMNS) == COLUMN_COUNT
