"""Reception Desk (信访接待一站式服务台): the UI-free core.

Nothing under this package imports Qt or the ``ui`` package; ruff's TID251 rule enforces it.
"""

__version__ = "0.1.0"

APP_NAME = "ReceptionDesk"
APP_TITLE = "信访接待一站式服务台"
