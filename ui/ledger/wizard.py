"""管理 → 台账导入: bring in an old ledger in four steps, for administrators and supervisors.

1. 选择文件: the file (xlsx, xls, ods, csv) and its sheet; the earlier imports, which an administrator can undo.
2. 列映射: each field's column, guessed from the headers; a saved mapping profile; the default 问题类别.
3. 检查结果: the dry run's report, one line per problem with its row number.
4. 导入: the import in batches, with a progress bar and 取消导入 (what was imported stays; running it again goes on).

Reading, checking and importing run in the background (``ui.tasks``): the window never freezes. The import's
progress is posted by the worker into a plain holder that a timer on the GUI thread reads (workers never touch
widgets).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.db.base import to_local
from reception.intake import directory
from reception.ledger import service
from reception.ledger.mapping import (
    FIELDS,
    Header,
    find_header,
    guess_mapping,
    load_profiles,
    profile_from,
    save_profile,
)
from reception.ledger.reader import SUFFIXES, read_sheet, sheet_names
from reception.security.permissions import Permission, allowed
from ui.tasks import TaskManager, error_message
from ui.widgets import ErrorLabel, button, field_label

NOT_MAPPED = "（不导入）"
NO_PROFILE = "（自动识别）"
NO_DEFAULT = "（无）"
F_FILE, F_SHEET, F_PROFILE, F_PROFILE_NAME, F_CATEGORY = "台账文件", "工作表", "映射方案", "方案名称", "默认问题类别"


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


class LedgerImportDialog(QDialog):
    """The four steps on one stacked widget, with 上一步 / 下一步 buttons of each page."""

    imported = Signal()

    def __init__(self, ctx: AppContext, tasks: TaskManager, actor_id: str | None, role: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("台账导入")
        self.setObjectName("ledgerImportDialog")
        self.resize(900, 620)
        self.ctx, self.tasks, self.actor_id = ctx, tasks, actor_id
        self.is_admin = allowed(role, Permission.ADMIN) if role else actor_id is None
        self.batch_rows = service.BATCH_ROWS
        self.header: Header | None = None
        self.report: service.DryRunReport | None = None
        self.summary: service.ImportSummary | None = None
        self.cancel_event = threading.Event()
        self._progress: list[int] = [0, 0]
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._show_progress)
        self.stack = QStackedWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.stack)
        self._build_file_page()
        self._build_mapping_page()
        self._build_report_page()
        self._build_import_page()
        self._load_imports()

    # -- step 1: the file and its sheet ----------------------------------------------------------------------------

    def _build_file_page(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(QLabel("第1步：选择台账文件和工作表（支持 xlsx、xls、ods 和 csv，csv 可为 UTF-8 或 GBK 编码）"))
        form = QFormLayout()
        self.file_edit = QLineEdit()
        self.browse_button = button("浏览…")
        self.browse_button.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.file_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow(field_label(F_FILE, self.file_edit), row)
        self.sheet_combo = QComboBox()
        form.addRow(field_label(F_SHEET, self.sheet_combo), self.sheet_combo)
        v.addLayout(form)
        self.file_error = ErrorLabel()
        self.file_error.setObjectName("ledgerFileError")
        v.addWidget(self.file_error)
        self.file_edit.editingFinished.connect(self._load_sheets)
        v.addWidget(QLabel("以往导入"))
        self.imports_table = QTableWidget(0, 5)
        self.imports_table.setHorizontalHeaderLabels(["时间", "文件", "工作表", "状态", "导入行数"])
        self.imports_table.setAccessibleName("以往导入")
        self.imports_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.imports_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.imports_table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.imports_table, 1)
        self.review_buttons: dict[str, QPushButton]
        self.undo_button = button("撤销所选导入")
        self.undo_button.clicked.connect(self._undo)
        self.undo_button.setVisible(self.is_admin)  # administrators only (the core checks again)
        self.undo_status = QLabel()
        self.undo_status.setObjectName("ledgerUndoStatus")
        undo_row = QHBoxLayout()
        undo_row.addWidget(self.undo_button)
        undo_row.addWidget(self.undo_status, 1)
        v.addLayout(undo_row)
        v.addWidget(QLabel("待核对（疑似同一人，未自动合并）"))
        self.review_table = QTableWidget(0, 4)
        self.review_table.setHorizontalHeaderLabels(["文件", "行号", "已登记信访人", "说明"])
        self.review_table.setAccessibleName("待核对")
        self.review_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.review_table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.review_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.review_table, 1)
        review_row = QHBoxLayout()
        self.review_buttons = {}
        for decision, text in service.REVIEW_DECISIONS.items():
            b = button(text)
            b.clicked.connect(lambda _checked=False, d=decision: self._resolve(d))
            review_row.addWidget(b)
            self.review_buttons[decision] = b
        self.review_status = QLabel()
        self.review_status.setObjectName("ledgerReviewStatus")
        review_row.addWidget(self.review_status, 1)
        v.addLayout(review_row)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.next_to_mapping = button("下一步", default=True)
        self.next_to_mapping.clicked.connect(self._to_mapping)
        buttons.addWidget(self.next_to_mapping)
        v.addLayout(buttons)
        self.stack.addWidget(page)

    def _browse(self) -> None:
        patterns = " ".join(f"*{s}" for s in SUFFIXES)
        name, _ = QFileDialog.getOpenFileName(self, "选择台账文件", "", f"台账文件 ({patterns})")
        if name:
            self.file_edit.setText(name)
            self._load_sheets()

    def _load_sheets(self) -> None:
        text = self.file_edit.text().strip()
        self.file_error.clear_message()
        if not text:
            return
        path = Path(text)

        def done(names: list[str]) -> None:
            self.sheet_combo.clear()
            self.sheet_combo.addItems(names)

        def failed(exc: BaseException) -> None:
            self.sheet_combo.clear()
            self.file_error.show_message(error_message(exc) if not isinstance(exc, OSError)
                                         else "无法打开该文件，请检查路径")

        self.tasks.run(lambda: sheet_names(path), done, failed, owner=self, what="ledger_sheets")

    def _load_imports(self) -> None:
        def done(rows: list[service.ImportInfo]) -> None:
            self.imports = rows
            labels = {"done": "已完成", "cancelled": "已取消（部分导入）", "undone": "已撤销", "running": "进行中",
                      "failed": "出错中止（部分导入）"}
            self.imports_table.setRowCount(len(rows))
            for r, info in enumerate(rows):
                values = [f"{to_local(info.started_at):%Y-%m-%d %H:%M}", info.file_name, info.sheet,
                          labels.get(info.state, info.state), str(info.imported)]
                for c, value in enumerate(values):
                    self.imports_table.setItem(r, c, QTableWidgetItem(value))

        self.tasks.run(lambda: service.list_imports(self.ctx), done, owner=self, what="ledger_imports")

        def reviews(items: list[service.ReviewItem]) -> None:
            self.reviews = items
            self.review_table.setRowCount(len(items))
            for r, item in enumerate(items):
                note = item.message + ("（该行未导入）" if item.held else "")
                for c, value in enumerate([item.file_name, str(item.row_no), item.candidate, note]):
                    self.review_table.setItem(r, c, QTableWidgetItem(value))

        self.tasks.run(lambda: service.review_items(self.ctx), reviews, owner=self, what="ledger_reviews")

    def _resolve(self, decision: str) -> None:
        row = self.review_table.currentRow()
        items: list[service.ReviewItem] = getattr(self, "reviews", [])
        if row < 0 or row >= len(items):
            self.review_status.setText("请先选择一条待核对记录")
            return
        review_id = items[row].id

        def done(_: None) -> None:
            self.review_status.setText("已处理")
            self._load_imports()

        self.tasks.run_write(lambda: service.resolve_review(self.ctx, review_id, decision, actor_id=self.actor_id),
                             done, lambda exc: self.review_status.setText(error_message(exc)), owner=self,
                             what="ledger_review")

    def _undo(self) -> None:
        row = self.imports_table.currentRow()
        if row < 0 or row >= len(getattr(self, "imports", [])):
            self.undo_status.setText("请先选择一次导入")
            return
        import_id = self.imports[row].id

        def done(result: service.UndoSummary) -> None:
            # (before sync: removed; after sync: 已撤销 as changes the next sync sends, the cases worked on named)
            self.undo_status.setText(result.text())
            self._load_imports()
            self.imported.emit()

        self.tasks.run_write(lambda: service.undo_import(self.ctx, import_id, actor_id=self.actor_id), done,
                             lambda exc: self.undo_status.setText(error_message(exc)), owner=self,
                             what="ledger_undo")

    def _to_mapping(self) -> None:
        text = self.file_edit.text().strip()
        if not text:
            self.file_error.show_message("请选择台账文件")
            return
        path, sheet = Path(text), self.sheet_combo.currentText() or None

        def read() -> tuple[Header, list[str], list[tuple[str, str]], dict[str, Any]]:
            rows = read_sheet(path, sheet).rows
            with self.ctx.db.read() as session:
                profiles = sorted(load_profiles(session))
                categories = [(n.code, n.label) for n in _leaf_categories(session)]
            return find_header(rows), profiles, categories, {}

        def done(result: tuple[Header, list[str], list[tuple[str, str]], dict[str, Any]]) -> None:
            self.header, profiles, categories, _ = result
            self._fill_mapping(profiles, categories)
            self.stack.setCurrentIndex(1)

        def failed(exc: BaseException) -> None:
            self.file_error.show_message(error_message(exc) if not isinstance(exc, OSError)
                                         else "无法打开该文件，请检查路径")

        self.tasks.run(read, done, failed, owner=self, what="ledger_read")

    # -- step 2: the columns -----------------------------------------------------------------------------------

    def _build_mapping_page(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        self.mapping_intro = QLabel()
        self.mapping_intro.setWordWrap(True)
        v.addWidget(self.mapping_intro)
        top = QFormLayout()
        self.profile_combo = QComboBox()
        self.profile_combo.activated.connect(self._apply_profile)
        top.addRow(field_label(F_PROFILE, self.profile_combo), self.profile_combo)
        self.category_combo = QComboBox()
        top.addRow(field_label(F_CATEGORY, self.category_combo), self.category_combo)
        v.addLayout(top)
        form = QFormLayout()
        self.column_combos: dict[str, QComboBox] = {}
        for f in FIELDS:
            combo = QComboBox()
            self.column_combos[f.key] = combo
            form.addRow(field_label(f.label, combo), combo)
        v.addLayout(form)
        save_row = QHBoxLayout()
        self.profile_name_edit = QLineEdit()
        save_row.addWidget(field_label(F_PROFILE_NAME, self.profile_name_edit))
        save_row.addWidget(self.profile_name_edit, 1)
        self.save_profile_button = button("保存方案")
        self.save_profile_button.clicked.connect(self._save_profile)
        save_row.addWidget(self.save_profile_button)
        v.addLayout(save_row)
        self.mapping_error = ErrorLabel()
        self.mapping_error.setObjectName("ledgerMappingError")
        v.addWidget(self.mapping_error)
        buttons = QHBoxLayout()
        back = button("上一步")
        back.clicked.connect(lambda: self.stack.setCurrentIndex(0))
        buttons.addWidget(back)
        buttons.addStretch(1)
        self.check_button = button("检查（试导入）", default=True)
        self.check_button.clicked.connect(self._dry_run)
        buttons.addWidget(self.check_button)
        v.addLayout(buttons)
        self.stack.addWidget(page)

    def _fill_mapping(self, profiles: list[str], categories: list[tuple[str, str]]) -> None:
        assert self.header is not None
        h = self.header
        self.mapping_intro.setText(f"第2步：核对每一项对应的列（表头为第{h.first_row + 1}行起共{h.rows}行，"
                                   "已按表头自动识别）。必填：姓名、来访时间、反映问题、问题属地。")
        self.profile_combo.clear()
        self.profile_combo.addItems([NO_PROFILE, *profiles])
        self.category_combo.clear()
        self.category_combo.addItem(NO_DEFAULT, "")
        for code, label in categories:
            self.category_combo.addItem(label, code)
        guessed = guess_mapping(h.labels)
        for key, combo in self.column_combos.items():
            combo.clear()
            combo.addItem(NOT_MAPPED, -1)
            for c, label in enumerate(h.labels):
                if label:
                    combo.addItem(f"{_column_name(c)}列 {label}", c)
            self._select_column(combo, guessed.get(key, -1))
        self.mapping_error.clear_message()

    @staticmethod
    def _select_column(combo: QComboBox, column: int) -> None:
        index = combo.findData(column)
        combo.setCurrentIndex(index if index >= 0 else 0)

    def _apply_profile(self) -> None:
        name = self.profile_combo.currentText()
        if name == NO_PROFILE or self.header is None:
            return
        header = self.header

        def read() -> Any:
            with self.ctx.db.read() as session:
                return load_profiles(session).get(name)

        def done(profile: Any) -> None:
            if profile is None:
                return
            mapping = profile.mapping_for(header.labels)
            for key, combo in self.column_combos.items():
                self._select_column(combo, mapping.get(key, -1))
            code = profile.defaults.get("category", "")
            index = self.category_combo.findData(code)
            self.category_combo.setCurrentIndex(max(index, 0))

        self.tasks.run(read, done, owner=self, what="ledger_profile")

    def mapping(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for key, combo in self.column_combos.items():
            column = combo.currentData()
            if isinstance(column, int) and column >= 0:
                out[key] = column
        return out

    def defaults(self) -> dict[str, str]:
        code = self.category_combo.currentData()
        return {"category": code} if isinstance(code, str) and code else {}

    def _save_profile(self) -> None:
        name = self.profile_name_edit.text().strip()
        if not name:
            self.mapping_error.show_message("请填写方案名称")
            return
        assert self.header is not None
        profile = profile_from(name, self.mapping(), self.header.labels, self.defaults())

        def store() -> None:
            with self.ctx.db.write() as session:
                save_profile(session, profile)

        def done(_: None) -> None:
            if self.profile_combo.findText(name) < 0:
                self.profile_combo.addItem(name)
            self.mapping_error.clear_message()
            self.mapping_intro.setText(self.mapping_intro.text().split("（已保存")[0] + f"（已保存方案“{name}”）")

        self.tasks.run_write(store, done, lambda exc: self.mapping_error.show_message(error_message(exc)),
                             owner=self, what="ledger_profile_save")

    def source(self) -> service.LedgerSource:
        assert self.header is not None
        return service.LedgerSource(Path(self.file_edit.text().strip()), self.sheet_combo.currentText() or None,
                                    self.mapping(), self.header.first_row, self.header.rows, self.defaults())

    def _dry_run(self) -> None:
        self.mapping_error.clear_message()
        source = self.source()
        self.check_button.setEnabled(False)

        def done(report: service.DryRunReport) -> None:
            self.check_button.setEnabled(True)
            self.report = report
            self._fill_report(report)
            self.stack.setCurrentIndex(2)

        def failed(exc: BaseException) -> None:
            self.check_button.setEnabled(True)
            self.mapping_error.show_message(error_message(exc))

        self.tasks.run(lambda: service.dry_run(self.ctx, source), done, failed, owner=self, what="ledger_dry_run")

    # -- step 3: the report ----------------------------------------------------------------------------------

    def _build_report_page(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(QLabel("第3步：检查结果（有错误的行不会导入；改正文件后可再次导入，已导入的行不会重复）"))
        self.report_summary = QLabel()
        self.report_summary.setObjectName("ledgerReportSummary")
        v.addWidget(self.report_summary)
        self.report_table = QTableWidget(0, 4)
        self.report_table.setHorizontalHeaderLabels(["行号", "类型", "项目", "说明"])
        self.report_table.setAccessibleName("检查结果")
        self.report_table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.report_table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        v.addWidget(self.report_table, 1)
        buttons = QHBoxLayout()
        back = button("上一步")
        back.clicked.connect(lambda: self.stack.setCurrentIndex(1))
        buttons.addWidget(back)
        buttons.addStretch(1)
        self.start_button = button("开始导入", default=True)
        self.start_button.clicked.connect(self._start)
        buttons.addWidget(self.start_button)
        v.addLayout(buttons)
        self.stack.addWidget(page)

    def _fill_report(self, report: service.DryRunReport) -> None:
        self.report_summary.setText(report.lines()[-1])
        entries = [(str(i.row_no), "错误" if i.error else "提示", i.field, i.message) for i in report.issues]
        entries += [(str(r.row_no), "跳过", "", "已导入过") for r in report.rows if r.duplicate]
        self.report_table.setRowCount(len(entries))
        for r, values in enumerate(entries):
            for c, value in enumerate(values):
                self.report_table.setItem(r, c, QTableWidgetItem(value))
        self.start_button.setEnabled(report.ready > 0)

    # -- step 4: the import ----------------------------------------------------------------------------------

    def _build_import_page(self) -> None:
        page = QWidget()
        v = QVBoxLayout(page)
        v.addWidget(QLabel("第4步：导入"))
        self.progress = QProgressBar()
        self.progress.setAccessibleName("导入进度")
        self.progress.setFormat("%v / %m 行")
        v.addWidget(self.progress)
        self.result_label = QLabel()
        self.result_label.setObjectName("ledgerResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        v.addWidget(self.result_label)
        v.addStretch(1)
        buttons = QHBoxLayout()
        self.cancel_button = button("取消导入")
        self.cancel_button.clicked.connect(self._cancel)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        self.finish_button = button("完成")
        self.finish_button.clicked.connect(self.accept)
        self.finish_button.setEnabled(False)
        buttons.addWidget(self.finish_button)
        v.addLayout(buttons)
        self.stack.addWidget(page)

    def _start(self) -> None:
        report, source = self.report, self.source()
        assert report is not None
        self.cancel_event.clear()
        self._progress[:] = [0, report.ready]
        self.progress.setRange(0, max(report.ready, 1))
        self.progress.setValue(0)
        self.result_label.setText("正在导入…")
        self.cancel_button.setEnabled(True)
        self.finish_button.setEnabled(False)
        self.stack.setCurrentIndex(3)
        self._timer.start()
        holder = self._progress
        batch = self.batch_rows

        def work() -> service.ImportSummary:
            def progress(done: int, total: int) -> None:  # in the worker: only the holder, never a widget
                holder[:] = [done, total]

            return service.run_import(self.ctx, source, actor_id=self.actor_id, progress=progress,
                                      cancelled=self.cancel_event.is_set, batch_rows=batch, report=report)

        def done(summary: service.ImportSummary) -> None:
            self._timer.stop()
            self._show_progress()
            self.summary = summary
            lines = [summary.text()]
            lines += [f"第{row_no}行未导入：{message}" for row_no, message in summary.failed]
            if summary.reviews:
                lines.append(f"有{summary.reviews}条疑似同一人的记录未自动合并，已列入第1步的待核对清单。")
            self.result_label.setText("\n".join(lines))
            self.cancel_button.setEnabled(False)
            self.finish_button.setEnabled(True)
            self._load_imports()
            self.imported.emit()

        def failed(exc: BaseException) -> None:
            self._timer.stop()
            self.result_label.setText("导入失败：" + error_message(exc))
            self.cancel_button.setEnabled(False)
            self.finish_button.setEnabled(True)

        self.tasks.run_write(work, done, failed, owner=self, what="ledger_import")

    def _cancel(self) -> None:
        self.cancel_event.set()
        self.cancel_button.setEnabled(False)
        self.result_label.setText("正在取消：本批处理完后停止…")

    def _show_progress(self) -> None:
        done, total = self._progress
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)


def _leaf_categories(session: Any) -> list[Any]:
    out: list[Any] = []

    def walk(nodes: Any, prefix: str) -> None:
        for node in nodes:
            if node.children:
                walk(node.children, f"{prefix}{node.name} / ")
            else:
                out.append(_Cat(node.code, prefix + node.name))

    walk(directory.category_tree(session), "")
    return out


class _Cat:
    def __init__(self, code: str, label: str) -> None:
        self.code, self.label = code, label
