"""One case in full: summary, visits, events, routing; its running clocks (办理时限) and lifecycle steps (办理);
a reprint (补打) of its receipt, and 更正登记 (shown only to whoever may correct the registration now)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.db.base import to_local
from reception.domain.deadlines import ClockKind, ClockUnit
from reception.domain.workcalendar import PROVISIONAL_NOTE
from reception.intake.cases import case_detail
from reception.intake.correction import CorrectionRights, correction_rights
from reception.intake.dto import CaseDetail, CaseSummary
from reception.lifecycle.service import CaseClockView, case_clocks
from reception.merge.service import MergeListing, case_merge_listings
from reception.sync.attachments import Attachment, case_attachments, download
from ui.cases.actions import HEARING, Action, ActionDialog, actions_for
from ui.cases.tracking_models import CLOCK_COLOURS, clock_text
from ui.printing import PrintFn
from ui.reference import Reference
from ui.tasks import TaskManager, disable, error_message, log_failure
from ui.widgets import Banner, FlagBadge, button, shown_flags


def _when(moment: datetime) -> str:
    return f"{to_local(moment):%Y-%m-%d %H:%M}"


def _value(text: str) -> QLabel:
    label = QLabel(text or "—")
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    table.setWordWrap(True)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeRowsToContents()


def clock_view_text(v: CaseClockView) -> str:
    a = v.assessment
    if a.paused:
        return clock_text(a.allowed, a.elapsed, a.left, working=a.unit is ClockUnit.WORKING).split("，剩")[0] \
            + "，听证期间暂停计时"
    return clock_text(a.allowed, a.elapsed, a.left, working=a.unit is ClockUnit.WORKING,
                      window=a.kind is ClockKind.WINDOW)


def clock_view_remarks(v: CaseClockView) -> str:
    a = v.assessment
    parts = []
    if a.unconfirmed_years:
        years = "、".join(f"{y}年" for y in a.unconfirmed_years)
        parts.append(f"推算：{years}放假安排未公布，{PROVISIONAL_NOTE}")
    if a.extended_by:
        parts.append(f"已延期{a.extended_by}日")
    if a.paused:
        parts.append("复核听证中，到期日随听证顺延")
    elif a.paused_days:
        parts.append(f"听证{a.paused_days}日不计入")
    if v.ref:
        parts.append("督办反馈")
    return "；".join(parts)


def _open_file(path: Path) -> None:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def write_temp_pdf(data: bytes, case_no: str) -> Path:
    fd, name = tempfile.mkstemp(prefix=f"reprint-{case_no}-", suffix=".pdf")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return Path(name)


class CaseDetailDialog(QDialog):
    caseChanged = Signal()
    """A lifecycle step was stored for this case."""

    def __init__(self, ctx: AppContext, reference: Reference, tasks: TaskManager, printer: PrintFn,
                 case: CaseSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.reference = reference
        self.tasks = tasks
        self.printer = printer
        self.case = case
        self.detail: CaseDetail | None = None
        self.clock_views: list[CaseClockView] = []
        self.action_dialog: ActionDialog | None = None
        self.correction_dialog: QDialog | None = None
        self.rights: CorrectionRights | None = None
        self._after_load = ""
        self.setWindowTitle(f"案件详情 {case.case_no}")
        self.setObjectName("caseDetailDialog")
        from ui.geometry import fit_to_screen

        fit_to_screen(self, 900, 680, centred=False)

        layout = QVBoxLayout(self)
        head = QHBoxLayout()
        title = QLabel(case.case_no)
        title.setStyleSheet("font-size: 18px; font-weight: bold;")
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(title)
        self.status_label = QLabel(case.status_label)
        head.addWidget(self.status_label)
        for flag in shown_flags(case):
            head.addWidget(FlagBadge(flag))
        head.addStretch(1)
        layout.addLayout(head)
        self.message = Banner("info", self)
        layout.addWidget(self.message)

        self.clock_box = QGroupBox("办理时限")
        clock_layout = QVBoxLayout(self.clock_box)
        self.clocks = _table(["时限", "办理时限", "到期日", "责任单位", "说明"])
        self.clocks.setAccessibleName("办理时限")
        self.clocks.setWordWrap(False)
        self.clocks.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.no_clocks = QLabel("当前没有正在计算的期限。")
        self.no_clocks.setStyleSheet("color: #607d8b;")
        self.no_clocks.hide()
        clock_layout.addWidget(self.clocks)
        clock_layout.addWidget(self.no_clocks)
        layout.addWidget(self.clock_box)

        self.action_box = QGroupBox("办理")
        self.action_row = QHBoxLayout(self.action_box)
        self.action_buttons: list[QWidget] = []
        self.no_actions = QLabel("该案件当前没有可办理的环节。")
        self.no_actions.setStyleSheet("color: #607d8b;")
        self.action_row.addWidget(self.no_actions)
        self.action_row.addStretch(1)
        layout.addWidget(self.action_box)

        self.tabs = QTabWidget()
        self.summary = QWidget()
        self.summary_form = QFormLayout(self.summary)
        self.summary_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.visits = _table(
            ["次序", "时间", "信访形式", "人数", "信访人（证件、电话已遮蔽）", "提示", "工位", "登记人"]
        )
        self.events = _table(["时间", "环节", "单位", "经办人", "说明"])
        self.tabs.addTab(self.summary, "事项")
        self.tabs.addTab(self.visits, "来访记录")
        self.tabs.addTab(self.events, "办理过程")
        self.attachments: list[Attachment] = []
        self.opener: Callable[[Path], None] = _open_file
        """Shows a downloaded attachment (the system's viewer; tests replace it)."""
        files = QWidget()
        files_layout = QVBoxLayout(files)
        self.attachment_table = _table(["文件", "类型", "大小", "上传人", "上传时间"])
        self.attachment_table.setAccessibleName("责任单位附件")
        files_layout.addWidget(self.attachment_table)
        files_row = QHBoxLayout()
        files_row.addWidget(QLabel("责任单位在网上办理时上传的附件保存在中心服务器，打开时下载。"))
        files_row.addStretch(1)
        self.open_attachment_button = button("打开附件")
        self.open_attachment_button.clicked.connect(self.open_attachment)
        files_row.addWidget(self.open_attachment_button)
        files_layout.addLayout(files_row)
        self.tabs.addTab(files, "单位附件")
        from ui.merge.records import MergeList

        user = self.reference.user
        self.merge_list = MergeList(ctx, tasks, self.reference.user_id or None, self.reference.desk_id or None,
                                    user.role if user else None, headers=["并入的案件", "合并时间", "状态", "合并理由"],
                                    name="合并的案件")
        self.merge_list.undone.connect(self._unmerged)
        self.merges_tab = self.tabs.addTab(self.merge_list, "合并")
        self.tabs.setTabVisible(self.merges_tab, False)  # until this case is known to have merges
        layout.addWidget(self.tabs, 1)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.correct_button = button("更正登记")
        self.correct_button.clicked.connect(self.open_correction)
        self.correct_button.hide()  # until the core says this user may correct this case now
        self.merge_button = button("合并案件…")
        self.merge_button.clicked.connect(self.open_merge)
        self.merge_button.setVisible(self._may_merge())
        self.merge_dialog: QDialog | None = None
        self.merge_people_button = button("合并信访人…")
        self.merge_people_button.clicked.connect(self.open_petitioner_merge)
        self.merge_people_button.setVisible(self._may_merge())
        self.reprint_button = button("补打回执")
        self.close_button = button("关闭")
        self.reprint_button.clicked.connect(self.reprint)
        self.close_button.clicked.connect(self.accept)
        buttons.addWidget(self.correct_button)
        buttons.addWidget(self.merge_button)
        buttons.addWidget(self.merge_people_button)
        buttons.addWidget(self.reprint_button)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)
        self.load()

    def load(self) -> None:
        ctx, case_id = self.ctx, self.case.id
        user, desk = self.reference.user_id or None, self.reference.desk_id or None
        self.message.show_message("正在读取…", "info")

        def read() -> tuple[CaseDetail, list[CaseClockView], CorrectionRights, list[MergeListing]]:
            detail = case_detail(ctx, case_id, user_id=user, desk_id=desk)
            return (detail, case_clocks(ctx, case_id), correction_rights(ctx, case_id, actor_id=user),
                    case_merge_listings(ctx, case_id))

        # viewing a petitioner's case is audited, hence the writer
        self.tasks.op(read, self._show_all, what="case detail", write=True, owner=self, message=self.message.show_error)

    def _show_all(self, loaded: tuple[CaseDetail, list[CaseClockView], CorrectionRights, list[MergeListing]]) -> None:
        detail, views, rights, merges = loaded
        self.rights = rights
        self.merge_list.set_merges(merges)
        self.tabs.setTabVisible(self.merges_tab, bool(merges))
        self.correct_button.setVisible(rights.any and self.reference.user is not None)
        self._show(detail)
        self._show_clocks(views)
        running = {v.assessment.key for v in views} | ({HEARING} if any(v.assessment.paused for v in views) else set())
        self._show_actions(detail.summary.status, running)
        if self._after_load:
            message, self._after_load = self._after_load, ""
            self.message.show_message(message, "success")

    def _show_clocks(self, views: list[CaseClockView]) -> None:
        self.clock_views = views
        self.clocks.setRowCount(len(views))
        for r, v in enumerate(views):
            a = v.assessment
            texts = [a.label, clock_view_text(v), f"{a.due:%Y-%m-%d}", v.unit_name, clock_view_remarks(v)]
            for c, text in enumerate(texts):
                item = QTableWidgetItem(text)
                if c == 1:
                    background, foreground = CLOCK_COLOURS.get(a.colour.value, ("", ""))
                    if background:
                        item.setBackground(QBrush(QColor(background)))
                        item.setForeground(QBrush(QColor(foreground)))
                    item.setToolTip(f"{a.colour.label}。{a.basis}")
                if c == 4 and a.unconfirmed_years:
                    item.setForeground(QBrush(QColor("#e65100")))
                self.clocks.setItem(r, c, item)
        self.clocks.resizeRowsToContents()
        self.clocks.setCurrentCell(-1, -1)  # no focus frame on the first cell of a read-only list
        rows_height = sum(self.clocks.rowHeight(r) for r in range(min(len(views), 4)))
        self.clocks.setFixedHeight(self.clocks.horizontalHeader().height() + rows_height
                                   + 2 * self.clocks.frameWidth() + 2)
        self.clocks.setVisible(bool(views))
        self.no_clocks.setVisible(not views)

    def _show_actions(self, status: str, running: set[str] | None = None) -> None:
        for old in self.action_buttons:
            self.action_row.removeWidget(old)
            old.hide()
            old.deleteLater()
        self.action_buttons = []
        actions = actions_for(status, running or set())
        for i, action in enumerate(actions):
            b = button(action.text)
            b.clicked.connect(lambda _checked=False, a=action: self.open_action(a))
            self.action_row.insertWidget(i, b)
            b.show()  # at once, not on the layout's queued show: the steps change while the dialog is open
            self.action_buttons.append(b)
        self.no_actions.setVisible(not actions)
        from ui.security.session import apply_case_actions

        user = self.reference.user
        apply_case_actions(None, self.action_buttons, user.role if user else None)

    def open_action(self, action: Action) -> ActionDialog:
        dialog = ActionDialog(self.ctx, self.tasks, self.case.id, self.case.case_no, action,
                              self.reference.user_id or None, self, options=self.action_options())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.applied.connect(self._applied)
        self.action_dialog = dialog
        dialog.open()
        return dialog

    def action_options(self) -> dict[str, list[tuple[str, str]]]:
        """The choices of the steps' "pick" inputs: the units, and this case's open supervisions."""
        sups = [(f"第{n}项督办（{v.unit_name or '责任单位'}，{v.assessment.due:%Y-%m-%d}前反馈）", v.ref)
                for n, v in enumerate((v for v in self.clock_views if v.ref), start=1)]
        return {"unit_id": [(u.name, u.id) for u in self.reference.units], "supervision_id": sups}

    def _applied(self, result: object) -> None:
        label = getattr(result, "status_label", "")
        self.load()
        self.message.show_message(f"已办理，案件状态：{label}。" if label else "已办理。", "success")
        self.caseChanged.emit()

    def _failed(self, exc: BaseException) -> None:
        self.message.show_message(error_message(exc), "error")

    def _show(self, d: CaseDetail) -> None:
        self.detail = d
        self.message.hide()
        self.status_label.setText(d.summary.status_label)
        while self.summary_form.rowCount():
            self.summary_form.removeRow(0)
        rows: list[tuple[str, str]] = []
        if d.opened_as:
            rows.append(("合并", f"案件 {d.opened_as} 已并入案件 {d.summary.case_no}，此处显示合并后的案件"))
        if d.merged_case_nos:
            rows.append(("并入的案件", "、".join(d.merged_case_nos)))
        rows += [
            ("查询码", d.query_code),
            ("登记时间", _when(d.registered_at)),
            ("首登首办", " / ".join(x for x in (d.first_desk, d.first_officer) if x)),
            ("信访形式", d.channel_label),
            ("内容分类", d.content_class_label),
            ("问题类别", d.summary.category),
            ("问题属地", d.summary.locality),
            ("来访人数", f"{d.headcount}人" + ("（集体访）" if d.is_collective else "")),
            ("诉求", d.request),
            ("事实和理由", d.facts),
            ("处理方式", d.routing_label),
            ("责任单位", d.unit or d.legal_channel),
        ]
        if d.routing_override_reason:
            rows.append(("改派理由", d.routing_override_reason))
        if d.legal_channel:
            rows.append(("法定途径", d.legal_channel))
        rows.append(("回执", f"已出具{d.receipt_count}次"))
        for label, text in rows:
            self.summary_form.addRow(label, _value(text))
        visit_rows = []
        for v in d.visits:
            persons = "；".join(
                f"{name}{'（代表）' if rep else ''} {id_masked} {phone}".strip()
                for name, id_masked, phone, rep in v.persons
            )
            marks = "、".join(m for m, on in (("重复访", v.is_repeat), ("越级访", v.is_skip_level),
                                              ("集体访", v.is_collective)) if on)
            visit_rows.append([f"第{v.visit_no}次", _when(v.visited_at), v.channel_label, str(v.headcount), persons,
                               marks, v.desk, v.officer])
        _fill(self.visits, visit_rows)
        _fill(self.events, [[_when(e.occurred_at), e.label, e.unit, e.actor, e.note] for e in d.events])
        self.attachments = case_attachments(self.ctx, self.case.id)
        _fill(self.attachment_table, [[a.name, a.content_type, f"{a.size / 1024:.1f} KB", a.by,
                                       _when(a.uploaded_at)] for a in self.attachments])
        self.open_attachment_button.setEnabled(bool(self.attachments))

    def open_attachment(self) -> None:
        """Download the selected attachment (the first when none is selected) from the server and show it."""
        if not self.attachments:
            return
        row = max(0, self.attachment_table.currentRow())
        chosen = self.attachments[min(row, len(self.attachments) - 1)]
        ctx = self.ctx
        self.open_attachment_button.setEnabled(False)

        def run() -> Path:
            content = download(ctx, chosen)
            fd, name = tempfile.mkstemp(prefix="unit-", suffix=Path(chosen.name).suffix or ".bin")
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            return Path(name)

        def done(path: Path) -> None:
            self.open_attachment_button.setEnabled(True)
            self.message.show_message(f"已下载附件“{chosen.name}”。", "success")
            self.opener(path)

        def failed(exc: BaseException) -> None:
            self.open_attachment_button.setEnabled(True)
            self.message.show_message(error_message(exc), "error")

        self.tasks.run(run, done, failed, owner=self, what="attachment")

    def _may_merge(self) -> bool:
        from reception.security.permissions import Permission, allowed

        user = self.reference.user
        return user is not None and allowed(user.role, Permission.MERGE)

    def open_merge(self) -> QDialog:
        """合并案件…: pick another case by search and merge it into this one; when merged, the case is read again."""
        from ui.cases.merge import CaseMergeDialog

        dialog = CaseMergeDialog(self.ctx, self.tasks, self.case, self.reference.user_id or None,
                                 self.reference.desk_id or None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.merged.connect(self._merged)
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def open_petitioner_merge(self) -> QDialog:
        """合并信访人…: this case's petitioner's duplicate records (searched by the first name on the case)."""
        from ui.merge.petitioners import PetitionerMergeDialog

        first = (self.detail.summary if self.detail else self.case).petitioner_names.split(" 等")[0].strip()
        dialog = PetitionerMergeDialog(self.ctx, self.tasks, self.reference.user_id or None,
                                       self.reference.desk_id or None, parent=self, search_text=first)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.merged.connect(self._merged)
        self.merge_dialog = dialog
        dialog.open()
        return dialog

    def _merged(self, _result: object) -> None:
        self.load()
        self.caseChanged.emit()

    def _unmerged(self, _result: object) -> None:
        """撤销合并 stored: the case is read again (the merged-away case is its own again)."""
        self._after_load = "已撤销合并，两个案件已重新分开。"
        self.load()
        self.caseChanged.emit()

    def open_correction(self) -> QDialog:
        """更正登记: the correction dialog over this one; when saved, the case is read again."""
        from ui.cases.correction import CorrectionDialog

        dialog = CorrectionDialog(self.ctx, self.tasks, self.printer, self.case.id, self.case.case_no,
                                  self.reference.user_id or None, self.reference.desk_id or None, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.corrected.connect(self._corrected)
        self.correction_dialog = dialog
        dialog.open()
        return dialog

    def _corrected(self, result: object) -> None:
        from reception.intake.correction import CorrectionResult, describe

        self._after_load = describe(result) if isinstance(result, CorrectionResult) else ""
        self.load()  # (the message is shown once the corrected case is read: reading hides the banner)
        self.caseChanged.emit()

    def reprint(self) -> None:
        ctx, case_no, officer = self.ctx, self.case.case_no, self.reference.user_id or None

        def run() -> Path:
            from reception.intake.receipt import reprint_receipt  # ReportLab only when needed

            _case_id, pdf = reprint_receipt(ctx, case_no, officer_id=officer)
            return write_temp_pdf(pdf, case_no)

        def done(path: Path) -> None:
            try:
                self.printer(self, path)
                self.message.show_message("已补打回执（回执上注明“补打”）。", "success")
            except Exception as exc:
                log_failure(exc, "reprint")
                self.message.show_message(f"打印失败：{error_message(exc)}", "error")
            finally:
                path.unlink(missing_ok=True)

        self.tasks.op(run, done, what="reprint", write=True, owner=self, message=self.message.show_error,
                      prefix="补打失败：", busy=disable(self.reprint_button))
