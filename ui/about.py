"""帮助 → 关于: the app's name, version (the same as in the installer's file name and the executables' version
resource), where this desk keeps its data and its log, and Qt's version for a support call."""

from __future__ import annotations

from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from reception import APP_TITLE, __version__
from reception.paths import DataPaths
from ui.icons import app_icon
from ui.widgets import button


class AboutDialog(QDialog):
    def __init__(self, data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"关于{APP_TITLE}")
        self.setObjectName("aboutDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 14)
        head = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        title = QLabel(f"<b style='font-size:16px'>{APP_TITLE}</b><br>Reception Desk")
        head.addWidget(title, 1)
        layout.addLayout(head)
        self.version_label = QLabel(f"版本 {__version__}")
        self.version_label.setObjectName("aboutVersion")
        self.version_label.setAccessibleName("版本")
        layout.addWidget(self.version_label)
        paths = DataPaths(data_dir)
        self.paths_label = QLabel(f"数据目录：{paths.root}\n日志目录：{paths.logs}")
        self.paths_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.paths_label.setWordWrap(True)
        layout.addWidget(self.paths_label)
        detail = QLabel(f"Qt {qVersion()}，PySide6 {pyside_version}")
        detail.setStyleSheet("color: #607d8b;")
        layout.addWidget(detail)
        row = QHBoxLayout()
        row.addStretch(1)
        self.close_button = button("关闭", default=True)
        self.close_button.clicked.connect(self.accept)
        row.addWidget(self.close_button)
        layout.addLayout(row)
