"""领导接访排班: the month calendar of the leaders' reception roster, with generation, publication, swaps,
substitutions, the public notice (print preview, Excel) and the history of changes and versions.

Every core call runs through the TaskManager; the page only shows results. Dialogs that would block (the publish
confirmation, the save-file dialog) are injectable callables, so tests answer them.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QMessageBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from reception.changes import Change, ChangeSet
from reception.context import AppContext
from reception.db.base import to_local
from reception.roster import service as roster
from reception.roster.rotation import RosterLeader
from reception.roster.service import (
    ChangeInfo,
    DayChange,
    MonthRoster,
    RosterDay,
    UnconfirmedHolidaysError,
    VersionInfo,
)
from ui.printing import PrintFn
from ui.reference import Reference
from ui.roster.dialogs import (
    AdjustDialog,
    AdjustRequest,
    SubstituteDialog,
    SubstituteRequest,
    SwapDialog,
    SwapRequest,
)
from ui.roster.model import (
    HOLIDAY_BG,
    MAKEUP_BG,
    NO_MEETING_COLOUR,
    SECRETARY_COLOUR,
    WEEKEND_BG,
    DayDelegate,
    MonthModel,
    day_marks,
)
from ui.tasks import TaskManager, error_message
from ui.widgets import Banner, button, field_label

ConfirmFn = Callable[[QWidget, str, str], bool]
"""Asks a yes/no question (parent, title, text). The default is a QMessageBox; tests inject the answer."""
SavePathFn = Callable[[QWidget, str], Path | None]
"""Asks where to save (parent, suggested file name); None when cancelled. Tests inject a path."""


def ask_question(parent: QWidget, title: str, text: str) -> bool:
    box = QMessageBox(QMessageBox.Icon.Warning, title, text,
                      QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, parent)
    box.setDefaultButton(QMessageBox.StandardButton.No)
    yes = box.button(QMessageBox.StandardButton.Yes)
    no = box.button(QMessageBox.StandardButton.No)
    if yes is not None:
        yes.setText("确认发布")
        yes.setAccessibleName("确认发布")
    if no is not None:
        no.setText("取消")
        no.setAccessibleName("取消")
    return box.exec() == QMessageBox.StandardButton.Yes


def ask_save_path(parent: QWidget, suggested: str) -> Path | None:
    path, _filter = QFileDialog.getSaveFileName(parent, "导出Excel", str(Path.home() / suggested),
                                                "Excel 工作簿 (*.xlsx)")
    if not path:
        return None
    return Path(path) if path.lower().endswith(".xlsx") else Path(path + ".xlsx")


@dataclass(frozen=True, slots=True)
class VersionView:
    info: VersionInfo
    changes: tuple[DayChange, ...]
    """What changed from the previous version (diff_versions); empty for version 1."""


@dataclass(frozen=True, slots=True)
class PageData:
    roster: MonthRoster
    changes: tuple[ChangeInfo, ...]
    versions: tuple[VersionView, ...]
    leaders: tuple[RosterLeader, ...]
    conflicts: tuple[str, ...] = ()
    """Published days that no longer hold (leader left or absent, day now a holiday)."""


def load_page_data(ctx: AppContext, month: str) -> PageData:
    """One background read: the month, its swaps/substitutions, its versions with what changed, the leaders."""
    month_view = roster.month_roster(ctx, month)
    infos = roster.versions(ctx, month)
    views = tuple(
        VersionView(v, tuple(roster.diff_versions(ctx, month, v.version - 1, v.version)) if v.version > 1 else ())
        for v in infos
    )
    conflicts = tuple(roster.published_conflicts(ctx, month)) if month_view.status == "published" else ()
    return PageData(month_view, tuple(roster.changes(ctx, month)), views, tuple(roster.leaders(ctx)), conflicts)


def status_text(r: MonthRoster) -> str:
    if r.status == "published":
        return f"已发布第{r.version}版"
    if r.status == "draft":
        return "草稿（未发布）"
    return "未生成"


def change_text(c: ChangeInfo) -> str:
    when = to_local(c.created_at).strftime("%Y-%m-%d %H:%M")
    if c.kind == "swap" and c.other_day is not None:
        what = (f"调换：{c.leader}（{c.day.month}月{c.day.day}日）与{c.other_leader}"
                f"（{c.other_day.month}月{c.other_day.day}日）")
    elif c.kind == "cancel":
        what = f"取消：{c.day.month}月{c.day.day}日 {c.leader}"
    elif c.kind == "move" and c.other_day is not None:
        what = (f"改期：{c.leader}（{c.day.month}月{c.day.day}日）→ "
                f"{c.other_day.month}月{c.other_day.day}日 {c.other_leader}")
    else:
        what = f"替班：{c.day.month}月{c.day.day}日 {c.leader} → {c.other_leader}"
    who = f"　登记：{c.created_by}" if c.created_by else ""
    version = f"　生成第{c.version}版" if c.version else ""
    return f"{what}\n理由：{c.reason}　批准人：{c.approved_by}\n{when}{who}{version}"


def version_text(v: VersionView) -> str:
    info = v.info
    when = to_local(info.published_at).strftime("%Y-%m-%d %H:%M")
    head = f"第{info.version}版　{when}　发布人：{info.published_by}"
    lines = [head]
    if info.note:
        lines.append(f"说明：{info.note}")
    if info.version == 1:
        lines.append("首次发布")
    elif v.changes:
        lines.extend("变更：" + c.text for c in v.changes)
    else:
        lines.append("无人员变化")
    if not info.calendar_confirmed:
        lines.append("发布时节假日安排未确认")
    return "\n".join(lines)


def detail_text(day: RosterDay, r: MonthRoster) -> str:
    lines = [f"{day.day.year}年{day.day.month}月{day.day.day}日 {day.weekday}"]
    kind = "调休上班（工作日）" if day.makeup_workday else ("工作日" if day.workday else
                                                         (f"{day.holiday}（休息）" if day.holiday else "休息日"))
    lines.append(kind)
    marks = [m for m in day_marks(day) if m in ("书记接访日", "无会周")]
    if "书记接访日" in marks:
        lines.append("书记接访日：区委书记、区长共同接访")
    if "无会周" in marks:
        lines.append("无会周：领导带案下访")
    if day.leaders:
        for x in day.leaders:
            lines.append("")
            lines.append(f"接访领导：{x.name}（{x.title}）" + (f"　电话：{x.phone}" if x.phone else ""))
            lines.append(f"为什么是这位领导：{x.reason or '（无说明）'}")
        lines.append("")
        lines.append(f"接访地点：{r.place}")
        lines.append(f"接访时间：{r.hours}")
    elif day.workday:
        lines.append("本日尚未排班")
    return "\n".join(lines)


class RosterPage(QWidget):
    dutyChanged = Signal()
    """Published days changed (publish, swap, substitution): today's duty leader may be someone else now."""
    loaded = Signal()
    """A month finished loading (for tests and screenshots)."""

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager, printer: PrintFn,
                 parent: QWidget | None = None, *, confirm: ConfirmFn | None = None,
                 save_path: SavePathFn | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rosterPage")
        self.ctx = ctx
        self.reference = reference
        self.tasks = tasks
        tasks.changes.changed.connect(self._on_changes)
        self.printer = printer
        self.confirm: ConfirmFn = confirm or ask_question
        self.save_path: SavePathFn = save_path or ask_save_path
        self.data: PageData | None = None
        self.selected_day: date | None = None
        self.swap_dialog: SwapDialog | None = None
        self.substitute_dialog: SubstituteDialog | None = None
        self.adjust_dialog: AdjustDialog | None = None
        self._generation = 0
        self._busy = False
        today = ctx.now().date()
        self.year, self.month = today.year, today.month
        self._loaded_once = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)

        # -- month navigation and status --------------------------------------------------------------------------
        top = QHBoxLayout()
        title = QLabel("领导接访排班")
        title.setStyleSheet("font-size: 20px; font-weight: bold;")
        top.addWidget(title)
        top.addSpacing(16)
        self.prev_button = button("上一月")
        self.month_edit = QDateEdit()
        self.month_edit.setDisplayFormat("yyyy年MM月")
        self.month_edit.setCalendarPopup(False)
        self.month_edit.setDateRange(QDate(2000, 1, 1), QDate(2099, 12, 1))
        self.month_edit.setDate(QDate(self.year, self.month, 1))
        self.month_edit.setMinimumWidth(120)
        self.next_button = button("下一月")
        self.this_month_button = button("本月")
        top.addWidget(self.prev_button)
        top.addWidget(field_label("月份", self.month_edit))
        top.addWidget(self.month_edit)
        top.addWidget(self.next_button)
        top.addWidget(self.this_month_button)
        top.addSpacing(16)
        self.status_label = QLabel("…")
        self.status_label.setObjectName("rosterStatus")
        self.status_label.setAccessibleName("排班状态")
        top.addWidget(self.status_label)
        top.addStretch(1)
        layout.addLayout(top)

        self.calendar_banner = Banner("warning", self)
        layout.addWidget(self.calendar_banner)
        self.message_banner = Banner("info", self)
        layout.addWidget(self.message_banner)

        # -- actions ----------------------------------------------------------------------------------------------
        actions = QHBoxLayout()
        self.may_manage = True
        """Whether the signed-in user may change the roster (``ui.security.session.apply_permissions``)."""
        self.generate_button = button("生成排班")
        self.publish_button = button("发布")
        self.swap_button = button("调换")
        self.substitute_button = button("替班")
        self.adjust_button = button("取消/改期")
        self.print_button = button("打印公告")
        self.export_button = button("导出Excel")
        for b in (self.generate_button, self.publish_button, self.swap_button, self.substitute_button,
                  self.adjust_button):
            actions.addWidget(b)
        actions.addSpacing(16)
        actions.addWidget(self.print_button)
        actions.addWidget(self.export_button)
        actions.addStretch(1)
        actions.addWidget(self._legend())
        layout.addLayout(actions)

        # -- calendar and side panel ------------------------------------------------------------------------------
        self.model = MonthModel(self)
        self.view = QTableView()
        self.view.setObjectName("rosterCalendar")
        self.view.setAccessibleName("排班日历")
        self.view.setModel(self.model)
        self.view.setItemDelegate(DayDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setMinimumSectionSize(64)
        self.view.setShowGrid(True)
        self.view.setStyleSheet("QTableView#rosterCalendar { gridline-color: #cfd8dc; }")
        self.view.setMinimumWidth(620)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        self.detail = QLabel("点击日历中的日期，查看当天接访领导及排班理由。")
        self.detail.setObjectName("dayDetail")
        self.detail.setAccessibleName("当日详情")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.detail.setFrameShape(QFrame.Shape.StyledPanel)
        self.detail.setStyleSheet("QLabel#dayDetail { background: #fafafa; padding: 8px; }")
        self.detail.setMinimumHeight(150)
        self.changes_list = QListWidget()
        self.changes_list.setWordWrap(True)
        self.changes_list.setAlternatingRowColors(True)
        self.versions_list = QListWidget()
        self.versions_list.setWordWrap(True)
        self.versions_list.setAlternatingRowColors(True)
        detail_title = QLabel("当日详情")
        detail_title.setStyleSheet("font-weight: bold;")
        side_layout.addWidget(detail_title)
        side_layout.addWidget(self.detail)
        for text, widget in (("调换/替班记录", self.changes_list), ("发布版本", self.versions_list)):
            lab = field_label(text, widget)
            lab.setAlignment(Qt.AlignmentFlag.AlignLeft)
            lab.setStyleSheet("font-weight: bold;")
            side_layout.addWidget(lab)
            side_layout.addWidget(widget, 1)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.view)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([800, 320])
        layout.addWidget(splitter, 1)

        self.prev_button.clicked.connect(lambda: self.step_month(-1))
        self.next_button.clicked.connect(lambda: self.step_month(1))
        self.this_month_button.clicked.connect(self.go_to_this_month)
        self.month_edit.dateChanged.connect(self._month_picked)
        self.generate_button.clicked.connect(self.generate)
        self.publish_button.clicked.connect(lambda: self.publish())
        self.swap_button.clicked.connect(self.open_swap)
        self.substitute_button.clicked.connect(self.open_substitute)
        self.adjust_button.clicked.connect(self.open_adjust)
        self.print_button.clicked.connect(self.print_notice)
        self.export_button.clicked.connect(self.export_excel)
        self.view.clicked.connect(self._day_clicked)
        selection = self.view.selectionModel()
        selection.currentChanged.connect(lambda current, _previous: self._day_clicked(current))
        self._update_actions()

    @staticmethod
    def _legend() -> QLabel:
        chips = (
            (HOLIDAY_BG, "#c62828", "节假日"), (WEEKEND_BG, "#455a64", "休息日"), (MAKEUP_BG, "#8d6e00", "调休上班"),
            (SECRETARY_COLOUR, "white", "书记接访日"), ("#e8f5e9", NO_MEETING_COLOUR, "无会周"),
        )
        html = "　".join(
            f'<span style="background:{bg}; color:{fg};">&nbsp;{text}&nbsp;</span>' for bg, fg, text in chips
        )
        legend = QLabel(f"图例：{html}")
        legend.setTextFormat(Qt.TextFormat.RichText)
        legend.setAccessibleName("图例：节假日、休息日、调休上班、书记接访日、无会周")
        return legend

    # -- month ------------------------------------------------------------------------------------------------------

    @property
    def month_key(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def _on_changes(self, changes: ChangeSet) -> None:
        """The roster, the leaders or the directory changed (here, in a dialog, or pulled by the sync): read the
        month again when next shown."""
        if changes.touches(Change.ROSTER, Change.REFERENCE):
            self._loaded_once = False

    def ensure_loaded(self) -> None:
        if not self._loaded_once:
            self._loaded_once = True
            self.reload()

    def set_month(self, year: int, month: int) -> None:
        if (year, month) == (self.year, self.month) and self._loaded_once:
            return
        self.year, self.month = year, month
        self.month_edit.blockSignals(True)
        self.month_edit.setDate(QDate(year, month, 1))
        self.month_edit.blockSignals(False)
        self.selected_day = None
        self.message_banner.hide()
        self._loaded_once = True
        self.reload()

    def step_month(self, delta: int) -> None:
        index = self.year * 12 + self.month - 1 + delta
        self.set_month(index // 12, index % 12 + 1)

    def go_to_this_month(self) -> None:
        today = self.ctx.now().date()
        self.set_month(today.year, today.month)

    def _month_picked(self, value: QDate) -> None:
        self.set_month(value.year(), value.month())

    def reload(self) -> None:
        self._generation += 1
        generation = self._generation
        month = self.month_key
        self.status_label.setText("正在读取…")

        def done(data: PageData) -> None:
            if generation == self._generation:
                self._show(data)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self.status_label.setText("读取失败")
                self.show_error(exc)

        self.tasks.run(lambda: load_page_data(self.ctx, month), done, failed, owner=self, what="roster_load")

    def _show(self, data: PageData) -> None:
        self.data = data
        r = data.roster
        self.model.set_roster(r, self.ctx.now().date())
        published = r.status == "published"
        self.status_label.setText(f"{int(r.month[:4])}年{int(r.month[5:])}月：{status_text(r)}")
        colour = "#2e7d32" if published else ("#e65100" if r.status == "draft" else "#607d8b")
        self.status_label.setStyleSheet(f"color: {colour}; font-weight: bold; font-size: 15px;")
        warnings: list[str] = []
        if not r.calendar_known:
            year = int(r.month[:4])
            warnings.append(
                f"节假日未确认（推算）：{r.calendar_note}。本月排班已避开法定节假日，但可能与调休安排不一致；"
                f"请管理员导入并确认{year}年节假日表（管理 → 节假日表），否则发布时需要明确确认。")
        if data.conflicts:
            warnings.append("已发布的安排需要调整（请用“取消/改期”“调换”或“替班”）：\n" + "\n".join(data.conflicts))
        if warnings:
            self.calendar_banner.show_message("\n".join(warnings), "warning")
        else:
            self.calendar_banner.hide()
        self.changes_list.clear()
        for c in data.changes:
            self.changes_list.addItem(change_text(c))
        if not data.changes:
            self.changes_list.addItem("本月没有调换或替班。")
        self.versions_list.clear()
        for v in reversed(data.versions):
            self.versions_list.addItem(version_text(v))
        if not data.versions:
            self.versions_list.addItem("本月尚未发布。")
        if self.selected_day is not None:
            index = self.model.index_of(self.selected_day)
            if index.isValid():
                self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
                self._day_clicked(index)
        else:
            self.detail.setText("点击日历中的日期，查看当天接访领导及排班理由。")
        self._update_actions()
        self.loaded.emit()

    def _day_clicked(self, index: QModelIndex) -> None:
        day = self.model.day_at(index)
        if day is None or self.data is None:
            return
        self.selected_day = day.day
        self.detail.setText(detail_text(day, self.data.roster))

    def select_day(self, day: date) -> None:
        index = self.model.index_of(day)
        if index.isValid():
            self.view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self._day_clicked(index)

    def _update_actions(self) -> None:
        r = self.data.roster if self.data else None
        has_slots = bool(r and any(d.leaders for d in r.days))
        idle = not self._busy
        manage = idle and self.may_manage  # the signed-in user's role (the roster service refuses anyway)
        self.generate_button.setEnabled(manage and r is not None)
        self.publish_button.setEnabled(manage and r is not None and r.status == "draft")
        self.swap_button.setEnabled(manage and has_slots)
        self.substitute_button.setEnabled(manage and has_slots)
        self.adjust_button.setEnabled(manage and has_slots)
        self.print_button.setEnabled(idle and has_slots)
        self.export_button.setEnabled(idle and has_slots)
        tip = "已发布的月份不再重新生成，请用调换或替班修改" if r and r.status == "published" else ""
        self.generate_button.setToolTip(tip)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_actions()

    # -- messages ---------------------------------------------------------------------------------------------------

    def show_error(self, exc: BaseException) -> None:
        self.message_banner.show_message(error_message(exc), "error")

    def show_info(self, text: str, kind: str = "success") -> None:
        self.message_banner.show_message(text, kind)

    @property
    def by(self) -> str:
        user = self.reference.user
        return user.display_name if user else "接待员"

    # -- generate and publish ---------------------------------------------------------------------------------------

    def generate(self) -> None:
        r = self.data.roster if self.data else None
        if r is not None and r.status == "published":
            self.show_info(f"{r.month} 已发布（第{r.version}版），不再重新生成；如需修改请用“调换”或“替班”。", "error")
            return
        month, by = self.month_key, self.by

        def done(result: roster.GenerationResult) -> None:
            text = f"已生成 {result.month} 排班草稿，共 {result.slots} 个接访安排。核对后请点击“发布”。"
            if result.warnings:
                text += "\n" + "\n".join(result.warnings)
            self.show_info(text, "warning" if result.warnings or not result.calendar_known else "success")
            self.reload()
            self.dutyChanged.emit()

        self.tasks.op(lambda: roster.generate_month(self.ctx, month, by=by), done, what="roster_generate", write=True,
                      owner=self, on_error=self.show_error, busy=self._set_busy)

    def publish(self, *, force: bool = False) -> None:
        month, by = self.month_key, self.by

        def done(info: VersionInfo) -> None:
            self.show_info(f"{info.month} 排班已发布（第{info.version}版）。")
            self.reload()
            self.dutyChanged.emit()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UnconfirmedHolidaysError) and not force:
                question = f"{exc.message}\n\n确定按未确认的节假日安排发布{month}的排班吗？"
                if self.confirm(self, "发布排班：节假日未确认", question):
                    self.publish(force=True)
                else:
                    self.show_info(f"未发布。{exc.message}", "warning")
                return
            self.show_error(exc)

        self.tasks.op(lambda: roster.publish_month(self.ctx, month, by=by, force=force), done, what="roster_publish",
                      write=True, owner=self, on_error=failed, busy=self._set_busy)

    # -- swaps and substitutions ------------------------------------------------------------------------------------

    def open_swap(self) -> None:
        if self.data is None:
            return
        dialog = SwapDialog(self.data.roster, self.selected_day, self)
        dialog.submitted.connect(lambda req: self._run_swap(dialog, req))
        self._open(dialog)
        self.swap_dialog = dialog

    def open_substitute(self) -> None:
        if self.data is None:
            return
        dialog = SubstituteDialog(self.data.roster, list(self.data.leaders), self.selected_day, self)
        dialog.submitted.connect(lambda req: self._run_substitute(dialog, req))
        self._open(dialog)
        self.substitute_dialog = dialog

    def open_adjust(self) -> None:
        if self.data is None:
            return
        dialog = AdjustDialog(self.data.roster, self.selected_day, self)
        dialog.submitted.connect(lambda req: self._run_adjust(dialog, req))
        self._open(dialog)
        self.adjust_dialog = dialog

    def _run_adjust(self, dialog: AdjustDialog, req: AdjustRequest) -> None:
        by = self.by
        if req.new_day is None:
            def run() -> ChangeInfo:
                return roster.cancel_slot(self.ctx, req.day, req.leader_id, reason=req.reason,
                                          approved_by=req.approved_by, by=by)
        else:
            new_day = req.new_day

            def run() -> ChangeInfo:
                return roster.move_slot(self.ctx, req.day, req.leader_id, new_day, reason=req.reason,
                                        approved_by=req.approved_by, by=by)
        self.tasks.op(run, lambda change: self._changed(dialog, change, "取消" if req.new_day is None else "改期"),
                      what="roster_adjust", write=True, owner=dialog, message=dialog.show_error)

    @staticmethod
    def _open(dialog: SwapDialog | SubstituteDialog | AdjustDialog) -> None:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.open()

    def _changed(self, dialog: SwapDialog | SubstituteDialog | AdjustDialog, change: ChangeInfo, what: str) -> None:
        dialog.accept()
        version = f"，已发布第{change.version}版" if change.version else ""
        self.show_info(f"{what}已记录{version}。")
        self.reload()
        self.dutyChanged.emit()

    def _run_swap(self, dialog: SwapDialog, req: SwapRequest) -> None:
        by = self.by
        self.tasks.op(
            lambda: roster.swap(self.ctx, req.day, req.leader_id, req.other_day, req.other_leader_id,
                                reason=req.reason, approved_by=req.approved_by, by=by),
            lambda change: self._changed(dialog, change, "调换"), what="roster_swap", write=True, owner=dialog,
            message=dialog.show_error)

    def _run_substitute(self, dialog: SubstituteDialog, req: SubstituteRequest) -> None:
        by = self.by
        self.tasks.op(
            lambda: roster.substitute(self.ctx, req.day, req.leader_id, req.new_leader_id, reason=req.reason,
                                      approved_by=req.approved_by, by=by),
            lambda change: self._changed(dialog, change, "替班"), what="roster_substitute", write=True, owner=dialog,
            message=dialog.show_error)

    # -- the public notice ------------------------------------------------------------------------------------------

    def print_notice(self) -> None:
        month = self.month_key

        def render() -> Path:
            from reception.roster import export

            data = export.notice_pdf(self.ctx, month)
            fd, name = tempfile.mkstemp(prefix=f"roster-{month}-", suffix=".pdf")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            return Path(name)

        def done(path: Path) -> None:
            try:
                self.printer(self.window(), path)
            except Exception as exc:  # a printer driver problem: say so, never a traceback
                self.show_error(exc)
            finally:
                with contextlib.suppress(OSError):
                    path.unlink()

        self.tasks.op(render, done, what="roster_notice_pdf", owner=self, message=self.message_banner.show_error)

    def export_excel(self) -> None:
        month = self.month_key
        path = self.save_path(self, f"区级领导接访安排表-{month}.xlsx")
        if path is None:
            return

        def write() -> Path:
            from reception.roster import export

            path.write_bytes(export.notice_xlsx(self.ctx, month))
            return path

        def failed(exc: BaseException) -> None:
            if isinstance(exc, OSError):
                self.show_info(f"无法保存到 {path}：文件可能正被 Excel 打开，或没有写入权限。", "error")
            else:
                self.show_error(exc)

        self.tasks.op(write, lambda p: self.show_info(f"已导出：{p}"), what="roster_export_xlsx", owner=self,
                      on_error=failed)
