"""The month calendar: a 7-column table model (Monday to Sunday, one row per week) and a delegate that paints each
day as a small card: the day number, its marks (holiday, 调休上班, 书记接访日, 无会周) and the duty leaders."""

from __future__ import annotations

import calendar
from datetime import date

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from reception.roster.service import MonthRoster, RosterDay

WEEKDAY_HEADERS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")

DayRole = Qt.ItemDataRole.UserRole + 1
"""The RosterDay behind a cell (None for the padding cells before the 1st and after the last day)."""

HOLIDAY_BG = "#fdecea"
"""A public holiday (春节, 国庆节 …)."""
WEEKEND_BG = "#f1f3f4"
MAKEUP_BG = "#fff4d6"
"""A make-up working weekend (调休上班)."""
WORKDAY_BG = "#ffffff"
OUTSIDE_BG = "#fafafa"
SECRETARY_COLOUR = "#b71c1c"
NO_MEETING_COLOUR = "#2e7d32"
MAKEUP_COLOUR = "#8d6e00"
HOLIDAY_COLOUR = "#c62828"
TODAY_COLOUR = "#1565c0"

Index = QModelIndex | QPersistentModelIndex


def leader_text(day: RosterDay) -> list[str]:
    return [f"{x.name}（{x.title}）" for x in day.leaders]


def day_marks(day: RosterDay) -> list[str]:
    """The marks of a day, in words (also the accessible text of the cell)."""
    marks: list[str] = []
    if day.makeup_workday:
        marks.append("调休上班")
    elif day.holiday and not day.workday:
        marks.append(day.holiday)
    elif not day.workday:
        marks.append("休息日")
    if day.secretary_day:
        marks.append("书记接访日")
    if day.no_meeting_week:
        marks.append("无会周")
    return marks


def day_background(day: RosterDay) -> str:
    if day.makeup_workday:
        return MAKEUP_BG
    if not day.workday:
        return HOLIDAY_BG if day.holiday else WEEKEND_BG
    return WORKDAY_BG


def describe(day: RosterDay) -> str:
    """One line per fact, for the cell's tooltip and accessible text."""
    lines = [f"{day.day.month}月{day.day.day}日 {day.weekday}", *day_marks(day)]
    names = leader_text(day)
    if names:
        lines.append("接访领导：" + "、".join(names))
    elif day.workday:
        lines.append("未排班")
    return "\n".join(lines)


class MonthModel(QAbstractTableModel):
    """One row per calendar week (Monday first), one column per weekday."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.roster: MonthRoster | None = None
        self.today: date | None = None
        self._weeks: list[list[RosterDay | None]] = []

    def set_roster(self, roster: MonthRoster | None, today: date | None = None) -> None:
        self.beginResetModel()
        self.roster = roster
        self.today = today
        self._weeks = []
        if roster is not None and roster.days:
            first = roster.days[0].day
            by_day = {d.day: d for d in roster.days}
            for week in calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
                self._weeks.append([by_day.get(d) if d.month == first.month else None for d in week])
        self.endResetModel()

    # -- lookups ----------------------------------------------------------------------------------------------------

    def day_at(self, index: Index) -> RosterDay | None:
        if not index.isValid() or not (0 <= index.row() < len(self._weeks)) or not (0 <= index.column() < 7):
            return None
        return self._weeks[index.row()][index.column()]

    def index_of(self, day: date) -> QModelIndex:
        for r, week in enumerate(self._weeks):
            for c, cell in enumerate(week):
                if cell is not None and cell.day == day:
                    return self.index(r, c)
        return QModelIndex()

    # -- the model contract -----------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._weeks)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 7

    def flags(self, index: Index) -> Qt.ItemFlag:
        if self.day_at(index) is None:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
                   ) -> object:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < 7:
            return WEEKDAY_HEADERS[section]
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._weeks):
            return f"第{section + 1}周"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        day = self.day_at(index)
        if day is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return "\n".join([str(day.day.day), *day_marks(day), *leader_text(day)])
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return describe(day)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(day_background(day)))
        if role == DayRole:
            return day
        return None


class DayDelegate(QStyledItemDelegate):
    """Paints a day as a card: number and marks on top, leaders below, 无会周 as a green strip at the bottom."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        line = option.fontMetrics.height()
        return QSize(130, line * 4 + 14)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        rect: QRect = option.rect
        state = option.state
        day = index.data(DayRole)
        painter.save()
        try:
            if not isinstance(day, RosterDay):
                painter.fillRect(rect, QColor(OUTSIDE_BG))
                return
            painter.fillRect(rect, QColor(day_background(day)))
            selected = bool(state & QStyle.StateFlag.State_Selected)
            model = index.model()
            today = model.today if isinstance(model, MonthModel) else None
            inner = rect.adjusted(6, 4, -6, -4)
            base = QFont(option.font)
            fm = option.fontMetrics
            line = fm.height()

            # first line: the day number, then the marks as small coloured tags
            number = QFont(base)
            number.setBold(True)
            painter.setFont(number)
            painter.setPen(QColor(HOLIDAY_COLOUR if not day.workday else "#263238"))
            num_text = str(day.day.day)
            painter.drawText(QRect(inner.left(), inner.top(), inner.width(), line),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, num_text)
            x = inner.left() + painter.fontMetrics().horizontalAdvance(num_text) + 6
            small = QFont(base)
            small.setPointSizeF(max(7.0, base.pointSizeF() * 0.85))
            painter.setFont(small)
            sfm = painter.fontMetrics()
            tags: list[tuple[str, str]] = []
            if day.makeup_workday:
                tags.append(("调休上班", MAKEUP_COLOUR))
            elif day.holiday and not day.workday:
                tags.append((day.holiday, HOLIDAY_COLOUR))
            if day.secretary_day:
                tags.append(("书记接访日", SECRETARY_COLOUR))
            for text, colour in tags:
                w = sfm.horizontalAdvance(text) + 8
                if x + w > inner.right():
                    break
                tag = QRect(x, inner.top() + (line - sfm.height()) // 2 - 1, w, sfm.height() + 2)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(colour))
                painter.drawRoundedRect(tag, 3, 3)
                painter.setPen(QColor("white"))
                painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)
                x += w + 4

            # the leaders: name, and the title underneath; elided to the cell
            painter.setFont(base)
            painter.setPen(QColor("#0d47a1" if day.workday else "#37474f"))
            y = inner.top() + line + 4
            strip = 14 if day.no_meeting_week else 0
            bottom = inner.bottom() - strip
            if not day.leaders and day.workday:
                painter.setPen(QColor("#9e9e9e"))
                painter.drawText(QRect(inner.left(), y, inner.width(), line),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "未排班")
            for leader in day.leaders:
                if y + line > bottom + 2:
                    break
                painter.setFont(base)
                painter.setPen(QColor("#0d47a1" if day.workday else "#37474f"))
                # the name, and the title underneath in smaller grey type
                painter.drawText(QRect(inner.left(), y, inner.width(), line),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 fm.elidedText(leader.name, Qt.TextElideMode.ElideRight, inner.width()))
                y += line
                if y + sfm.height() > bottom + 2:
                    break
                painter.setFont(small)
                painter.setPen(QColor("#546e7a"))
                painter.drawText(QRect(inner.left(), y, inner.width(), sfm.height()),
                                 Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                 sfm.elidedText(leader.title, Qt.TextElideMode.ElideRight, inner.width()))
                y += sfm.height() + 2

            if day.no_meeting_week:
                band = QRect(rect.left() + 1, rect.bottom() - 14, rect.width() - 2, 14)
                painter.fillRect(band, QColor("#e8f5e9"))
                painter.fillRect(QRect(band.left(), band.top(), band.width(), 2), QColor(NO_MEETING_COLOUR))
                painter.setFont(small)
                painter.setPen(QColor(NO_MEETING_COLOUR))
                painter.drawText(band.adjusted(6, 1, -6, 0),
                                 Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "无会周")

            if today is not None and day.day == today:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(QColor(TODAY_COLOUR), 2))
                painter.drawRect(rect.adjusted(1, 1, -2, -2))
            if selected:
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.setPen(QPen(QColor("#ff8f00"), 3))
                painter.drawRect(rect.adjusted(2, 2, -2, -2))
        finally:
            painter.restore()
