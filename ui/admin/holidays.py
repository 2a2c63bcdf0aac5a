"""节假日表: the administrator's screen for the holiday table of a year (issue 13).

What the year is (official, provisional, confirmed, confirmed with differences), its days with the statutory ones
marked, the differences from the statutory days computed by law and from the chinese-calendar package; import a
CSV, JSON or Excel file (an import that would remove days asks first and lists them), edit one day, confirm the year.
Every change recomputes the stored clocks in the core's one transaction (``reception.roster.holidays``), on the
writer thread with a progress bar: the window never freezes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.workcalendar import YearState
from reception.roster import holidays
from reception.roster.rules import WEEKDAYS_ZH
from ui.tasks import TaskManager, error_message
from ui.widgets import ErrorLabel, button, field_label

AskFn = Callable[[QWidget, str, str], bool]
OpenFileFn = Callable[[QWidget], str]

STATE_COLOURS = {
    YearState.OFFICIAL: "#2e7d32", YearState.CONFIRMED: "#2e7d32", YearState.DIFFERS: "#e65100",
    YearState.PROVISIONAL: "#e65100",
}


def ask(parent: QWidget, title: str, text: str) -> bool:
    from ui.roster.page import ask_question

    return ask_question(parent, title, text)


def open_file(parent: QWidget) -> str:
    path, _ = QFileDialog.getOpenFileName(parent, "导入节假日安排", "",
                                          "节假日安排 (*.csv *.json *.xlsx);;所有文件 (*)")
    return path


class _Progress(QObject):
    """Carries the recompute's progress from the writer thread to the bar (a queued signal)."""

    changed = Signal(int, int)


class HolidayAdminDialog(QDialog):
    calendarChanged = Signal()
    """A change was committed (the window refreshes its deadline counts and today's duty leader)."""

    def __init__(self, ctx: AppContext, tasks: TaskManager, by: str, parent: QWidget | None = None, *,
                 confirm: AskFn | None = None, choose_file: OpenFileFn | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.tasks, self.by = ctx, tasks, by
        self.confirm: AskFn = confirm or ask
        self.choose_file: OpenFileFn = choose_file or open_file
        self.setObjectName("holidayAdmin")
        self.setWindowTitle("节假日表")
        self.resize(900, 640)
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2099)
        self.year_spin.setValue(ctx.now().year + (1 if ctx.now().month >= 10 else 0))
        self.year_spin.valueChanged.connect(lambda _v: self.refresh())
        top.addWidget(field_label("年度", self.year_spin))
        top.addWidget(self.year_spin)
        self.state_label = QLabel()
        self.state_label.setObjectName("holidayYearState")
        self.state_label.setAccessibleName("年度状态")
        self.state_label.setWordWrap(True)
        top.addWidget(self.state_label, 1)
        layout.addLayout(top)

        self.table = QTableWidget(0, 5)
        self.table.setAccessibleName("节假日列表")
        self.table.setHorizontalHeaderLabels(["日期", "星期", "安排", "名称", "来源"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._row_selected)
        layout.addWidget(self.table, 3)

        self.differences = QPlainTextEdit()
        self.differences.setReadOnly(True)
        self.differences.setMaximumHeight(150)
        layout.addWidget(field_label("与法定节假日、国务院公布安排的差异", self.differences))
        layout.addWidget(self.differences, 1)

        edit = QGridLayout()
        self.day_edit = QDateEdit()
        self.day_edit.setCalendarPopup(True)
        self.day_edit.setDisplayFormat("yyyy-MM-dd")
        self.kind_combo = QComboBox()
        for text, value in (("休息", False), ("调休上班", True), ("从表中删除", None)):
            self.kind_combo.addItem(text, value)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("如 春节、国庆节")
        for col, (text, widget) in enumerate((("日期", self.day_edit), ("安排", self.kind_combo),
                                              ("名称", self.name_edit))):
            edit.addWidget(field_label(text, widget), 0, 2 * col)
            edit.addWidget(widget, 0, 2 * col + 1)
        self.save_day_button = button("保存该日")
        self.save_day_button.clicked.connect(self.save_day)
        edit.addWidget(self.save_day_button, 0, 6)
        layout.addLayout(edit)

        self.error = ErrorLabel()
        self.error.setAccessibleName("错误信息")
        layout.addWidget(self.error)
        self.progress = QProgressBar()
        self.progress.setAccessibleName("重新计算期限进度")
        self.progress.setFormat("重新计算期限… %p%")
        self.progress.hide()
        layout.addWidget(self.progress)
        self.result_label = QLabel()
        self.result_label.setAccessibleName("操作结果")
        self.result_label.setWordWrap(True)
        layout.addWidget(self.result_label)

        buttons = QHBoxLayout()
        self.import_button = button("导入文件…")
        self.import_button.clicked.connect(self.import_clicked)
        self.confirm_button = button("确认本年度安排")
        self.confirm_button.clicked.connect(self.confirm_year)
        self.close_button = button("关闭")
        self.close_button.clicked.connect(self.close)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.confirm_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

        self._progress = _Progress(self)
        self._progress.changed.connect(self._show_progress)
        self.refresh()

    # --- reading ------------------------------------------------------------------------------------------------

    @property
    def year(self) -> int:
        return self.year_spin.value()

    def refresh(self) -> None:
        year = self.year
        with self.ctx.db.read() as session:
            status = holidays.year_status(session, year)
            entries = holidays.year_entries(session, year)
            comparison = holidays.compare_year(session, year)
        self.status = status
        self.state_label.setText(f"{status.state.label}：{status.message}")
        self.state_label.setStyleSheet(f"color: {STATE_COLOURS[status.state]};")
        statutory = comparison.statutory
        shown: dict[date, tuple[str, str, str]] = {
            e.day: ("调休上班" if e.workday else "休息", e.name, {"package": "软件包", "import": "导入",
                                                              "admin": "手工录入"}.get(e.source, e.source))
            for e in entries}
        if not entries:  # nothing in the table: the days the calendar uses (statutory, or the package's)
            cal = self.ctx.calendar
            for d, n in cal.holidays(year).items():
                shown[d] = ("休息", n, "法定（推算）" if d in statutory else "软件包")
            for d, n in cal.makeup_workdays(year).items():
                shown[d] = ("调休上班", n, "软件包")
        self.table.setRowCount(len(shown))
        for r, (d, (kind, name, source)) in enumerate(sorted(shown.items())):
            mark = "（法定）" if d in statutory else ""
            for c, text in enumerate((d.isoformat(), WEEKDAYS_ZH[d.weekday()], kind + mark, name, source)):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.differences.setPlainText(self._differences_text(comparison))
        self.day_edit.setDate(QDate(year, 1, 1) if self.day_edit.date().year() != year else self.day_edit.date())

    @staticmethod
    def _differences_text(c: holidays.YearComparison) -> str:
        lines = []
        if c.statutory_working:
            lines.append("法定节假日被设为上班（请核对）：" + "、".join(f"{d.isoformat()}{n}" for d, n in
                                                                 c.statutory_working))
        lines.append(f"法定节假日（按《全国年节及纪念日放假办法》推算，共{len(c.statutory)}天）："
                     + "、".join(f"{d.month}月{d.day}日{n}" for d, n in sorted(c.statutory.items())))
        if c.bridge_days:
            lines.append("调休放假（法定节假日以外的工作日休息）："
                         + "、".join(f"{d.isoformat()}{n}" for d, n in c.bridge_days))
        if c.makeup_workdays:
            lines.append("调休上班：" + "、".join(f"{d.isoformat()}{n}" for d, n in c.makeup_workdays))
        if c.package_differences:
            lines.append("与 chinese-calendar 软件包不同：" + "、".join(
                f"{d.isoformat()}本表{'上班' if here else '休息'}、软件包{'上班' if there else '休息'}"
                for d, here, there in c.package_differences))
        elif c.state in (YearState.OFFICIAL, YearState.CONFIRMED):
            lines.append("与软件包及法定节假日一致")
        if c.state is YearState.PROVISIONAL:
            lines.append("本年度调休安排尚未公布或未确认：期限按法定节假日推算，以国务院公布的放假安排为准。")
        return "\n".join(line for line in lines if line)

    def _row_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.table.item(rows[0].row(), 0)
        if item is None:
            return
        d = date.fromisoformat(item.text())
        self.day_edit.setDate(QDate(d.year, d.month, d.day))
        kind = self.table.item(rows[0].row(), 2)
        self.kind_combo.setCurrentIndex(1 if kind is not None and kind.text().startswith("调休上班") else 0)
        name = self.table.item(rows[0].row(), 3)
        self.name_edit.setText(name.text() if name is not None else "")

    # --- changes (writer thread, with progress) ------------------------------------------------------------------

    def _busy(self, busy: bool) -> None:
        for b in (self.import_button, self.confirm_button, self.save_day_button):
            b.setEnabled(not busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)

    def _show_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _run(self, fn: Callable[[Callable[[int, int], None]], holidays.CalendarChange], what: str,
             on_error: Callable[[BaseException], None] | None = None) -> None:
        self.error.clear_message()

        def done(change: holidays.CalendarChange) -> None:
            self.result_label.setText(change.message + ("\n" + "\n".join(change.roster_conflicts)
                                                        if change.roster_conflicts else ""))
            self.refresh()
            self.calendarChanged.emit()

        emit = self._progress.changed.emit
        self.tasks.op(lambda: fn(emit), done, what=what, write=True, owner=self, message=self.error.show_message,
                      on_error=on_error, busy=self._busy)

    def import_clicked(self) -> None:
        path = self.choose_file(self)
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path, *, force: bool = False) -> None:
        year = self.year

        def failed(exc: BaseException) -> None:
            if isinstance(exc, holidays.ImportWouldRemove) and not force:
                listed = "\n".join(f"{e.day.isoformat()} {'上班' if e.workday else '休息'} {e.name}"
                                   for e in exc.removed[:40])
                more = f"\n……共{len(exc.removed)}天" if len(exc.removed) > 40 else ""
                question = (f"导入“{path.name}”将从{year}年节假日表中删除以下{len(exc.removed)}天：\n\n"
                            f"{listed}{more}\n\n仍要导入吗？")
                if self.confirm(self, "导入将删除节假日", question):
                    self.import_file(path, force=True)
                else:
                    self.result_label.setText("已取消导入，节假日表未改变")
                return
            self.error.show_message(error_message(exc))

        self._run(lambda progress: holidays.import_year(self.ctx, year, path, by=self.by, force=force,
                                                        progress=progress), "holiday_import", failed)

    def save_day(self) -> None:
        q = self.day_edit.date()
        day = date(q.year(), q.month(), q.day())
        if day.year != self.year:
            self.error.show_message(f"日期 {day.isoformat()} 不属于所选的{self.year}年")
            return
        workday = self.kind_combo.currentData()
        name = self.name_edit.text().strip()
        self._run(lambda progress: holidays.edit_day(self.ctx, day, workday, name, by=self.by, progress=progress),
                  "holiday_edit")

    def confirm_year(self) -> None:
        year = self.year
        if not self.confirm(self, "确认节假日安排", f"确认{year}年节假日表为国务院公布的正式放假安排？"
                                                    "确认后期限不再标注“推算”。"):
            return
        self._run(lambda progress: holidays.confirm(self.ctx, year, by=self.by, progress=progress),
                  "holiday_confirm")
