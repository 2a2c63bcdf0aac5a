"""一考一评: the half-year ranking of townships/streets and departments, with the weights as editable settings."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from reception.context import AppContext
from reception.domain.errors import FieldErrors
from reception.stats import periods
from reception.stats.drill import DrillList, drill_filtered
from reception.stats.periods import Period
from reception.stats.ranking import WEIGHT_LABELS, Ranking, Weights, get_weights, save_weights, unit_ranking
from ui.stats.common import DrillDialog, SavePathFn, TableModel, ask_save_path, table_view
from ui.tasks import TaskManager, error_message
from ui.widgets import Banner, ErrorLabel, FieldCell, button, field_label


class RankingView(QWidget):
    def __init__(self, ctx: AppContext, tasks: TaskManager, parent: QWidget | None = None,
                 *, save_path: SavePathFn | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.save_path: SavePathFn = save_path or ask_save_path
        self.ranking: Ranking | None = None
        self.drill_dialog: DrillDialog | None = None
        self.loaded = False
        self.actor_id: str | None = None
        """The user signed in (set by the main window): the weights are the whole centre's, an administrator's."""

        today = ctx.now().date()
        self.year_spin = QSpinBox()
        self.year_spin.setRange(2000, 2100)
        self.year_spin.setValue(today.year)
        self.half_combo = QComboBox()
        self.half_combo.addItem("上半年", 1)
        self.half_combo.addItem("下半年", 2)
        self.half_combo.setCurrentIndex(0 if today.month <= 6 else 1)
        self.run_button = button("计算排名", default=True)
        self.run_button.clicked.connect(self.refresh)
        self.xlsx_button = button("导出Excel")
        self.pdf_button = button("导出PDF")
        self.xlsx_button.clicked.connect(lambda: self.export("xlsx"))
        self.pdf_button.clicked.connect(lambda: self.export("pdf"))
        top = QHBoxLayout()
        top.addWidget(field_label("考评年度", self.year_spin))
        top.addWidget(self.year_spin)
        top.addWidget(field_label("半年", self.half_combo))
        top.addWidget(self.half_combo)
        for b in (self.run_button, self.xlsx_button, self.pdf_button):
            top.addWidget(b)
        top.addStretch(1)

        self.weight_edits: dict[str, QLineEdit] = {}
        self.weight_errors: dict[str, ErrorLabel] = {}
        weights = QGridLayout()
        weights.addWidget(QLabel("权重："), 0, 0)
        for col, (key, label) in enumerate(WEIGHT_LABELS.items()):
            edit = QLineEdit()
            edit.setMaximumWidth(70)
            cell = FieldCell(edit)
            error = ErrorLabel()
            edit.textEdited.connect(lambda _t, e=error: e.clear_message())
            self.weight_edits[key] = edit
            self.weight_errors[key] = error
            weights.addWidget(field_label(label, edit), 0, 1 + 2 * col)
            weights.addWidget(cell, 0, 2 + 2 * col)
            weights.addWidget(error, 1, 1 + 2 * col, 1, 2)
        self.save_weights_button = button("保存权重")
        self.save_weights_button.clicked.connect(self.save_weights)
        weights.addWidget(self.save_weights_button, 0, 12)
        weights.setColumnStretch(13, 1)

        self.banner = Banner("info")
        self.title = QLabel("")
        self.title.setObjectName("rankingTitle")
        self.title.setStyleSheet("font-size: 16px; font-weight: bold;")
        note = QLabel("综合得分：按期受理率、按期办结率、满意率直接计分，重复访率计（100 − 重复访率），"
                      "督办件数按同类单位最多者折算；无数据的指标不计，权重按比例折算。"
                      "单击一行查看该单位期内作出受理决定的事项。")
        note.setWordWrap(True)
        note.setStyleSheet("color: #546e7a;")
        self.town_model = TableModel(self)
        self.dept_model = TableModel(self)
        self.town_view = table_view("乡镇（街道）排队", self.town_model)
        self.dept_view = table_view("区直部门排队", self.dept_model)
        split = QSplitter(Qt.Orientation.Vertical)
        for title, view, model in (("乡镇（街道）排队", self.town_view, self.town_model),
                                   ("区直部门排队", self.dept_view, self.dept_model)):
            box = QWidget()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(0, 0, 0, 0)
            header = QLabel(title)
            header.setStyleSheet("font-weight: bold;")
            inner.addWidget(header)
            inner.addWidget(view)
            view.clicked.connect(lambda index, m=model: self._row_clicked(m, index))
            split.addWidget(box)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(weights)
        layout.addWidget(self.banner)
        layout.addWidget(self.title)
        layout.addWidget(note)
        layout.addWidget(split, 1)
        self._set_busy(False)

    @property
    def period(self) -> Period:
        return periods.half(self.year_spin.value(), int(self.half_combo.currentData()))

    def _set_busy(self, busy: bool) -> None:
        self.run_button.setEnabled(not busy)
        self.save_weights_button.setEnabled(not busy)
        for b in (self.xlsx_button, self.pdf_button):
            b.setEnabled(not busy and self.ranking is not None)

    def show_error(self, exc: BaseException) -> None:
        self._set_busy(False)
        self.banner.show_message(error_message(exc), "error")

    def _show_weights(self, w: Weights) -> None:
        for key, value in w.as_dict().items():
            self.weight_edits[key].setText(f"{value:g}")

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.loaded = True
            self.tasks.op(lambda: get_weights(self.ctx), self._show_weights, what="stats_weights", owner=self,
                          on_error=self.show_error)
            self.refresh()

    def refresh(self) -> None:
        period = self.period
        self.tasks.op(lambda: unit_ranking(self.ctx, period), self._shown, what="stats_ranking", owner=self,
                      message=self.banner.show_error, busy=self._set_busy)

    def _shown(self, ranking: Ranking) -> None:
        self.ranking = ranking
        self.title.setText(f"一考一评单位排队　{ranking.period.label}")
        towns, depts = ranking.tables()
        self.town_model.set_table(towns)
        self.dept_model.set_table(depts)
        self._set_busy(False)

    def save_weights(self) -> None:
        values = {k: e.text() for k, e in self.weight_edits.items()}
        for error in self.weight_errors.values():
            error.clear_message()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, FieldErrors):
                for field, message in exc.by_field().items():
                    self.weight_errors[field].show_message(message)
            else:
                self.show_error(exc)

        def done(w: Weights) -> None:
            self._show_weights(w)
            self.banner.show_message("权重已保存，排名已按新权重重新计算。", "info")
            self.refresh()

        actor = self.actor_id
        self.tasks.op(lambda: save_weights(self.ctx, values, actor_id=actor), done, what="stats_save_weights",
                      write=True, owner=self, on_error=failed, busy=self._set_busy)

    def _row_clicked(self, model: TableModel, index: QModelIndex) -> None:
        filt = model.row_filter(index.row())
        if filt is None or model.table is None or self.ranking is None:
            return
        period, key = self.ranking.period, model.table.drill_key
        scope = f"　{model.table.rows[index.row()][1]}"

        def show(listed: DrillList) -> None:
            if self.drill_dialog is not None:
                self.drill_dialog.close()
            self.drill_dialog = DrillDialog(listed, self, scope=scope)
            self.drill_dialog.show()

        actor = self.actor_id
        self.tasks.op(lambda: drill_filtered(self.ctx, key, period, filt, actor_id=actor), show, what="stats_drill",
                      owner=self, on_error=self.show_error)

    def export(self, kind: str) -> None:
        if self.ranking is None:
            return
        ranking = self.ranking
        path = self.save_path(self, f"一考一评单位排队-{ranking.period.label}.{kind}", kind)
        if path is None:
            return

        def write() -> Path:
            from reception.stats.export import ranking_pdf, ranking_xlsx

            path.write_bytes(ranking_xlsx(ranking) if kind == "xlsx" else ranking_pdf(ranking))
            return path

        def failed(exc: BaseException) -> None:
            if isinstance(exc, OSError):
                self.banner.show_message(f"无法保存到 {path}：文件可能正被打开，或没有写入权限。", "error")
            else:
                self.show_error(exc)

        self.tasks.op(write, lambda p: self.banner.show_message(f"已导出：{p}", "info"), what=f"stats_ranking_{kind}",
                      owner=self, on_error=failed)
