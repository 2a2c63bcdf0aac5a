"""The status bar's sync text, from ``reception.sync.desk.SyncStatus`` (pure: no widgets)."""

from __future__ import annotations

from datetime import datetime

from reception.db.base import to_local
from reception.sync.desk import SyncStatus

OK, BUSY, WARN, ERROR = "#2e7d32", "#1565c0", "#ef6c00", "#c62828"


def _when(moment: datetime, now: datetime) -> str:
    local = to_local(moment)
    return local.strftime("%H:%M") if local.date() == to_local(now).date() else local.strftime("%m-%d %H:%M")


def status_text(st: SyncStatus, now: datetime, *, running: bool = False) -> tuple[str, str, str]:
    """(text, colour, tooltip) for the status bar."""
    if not st.enrolled:
        return "同步：单机模式", "", "本工位尚未登记到中心服务器（在“数据同步”页登记）"
    parts: list[str] = []
    colour = OK
    if st.offline_since is not None:
        parts.append(f"离线（自 {_when(st.offline_since, now)}）")
        colour = WARN
    if st.pending:
        oldest = f"（最早 {_when(st.oldest_pending, now)}）" if st.oldest_pending else ""
        parts.append(f"待上传 {st.pending}{oldest}")
        colour = WARN if colour == OK else colour
    if st.conflicts:
        parts.append(f"冲突 {st.conflicts}")
        colour = ERROR
    if st.parked:
        parts.append(f"搁置 {st.parked}")
        colour = ERROR
    if st.last_error and st.offline_since is None:
        parts.append("最近错误")
        colour = ERROR
    if not parts:
        parts.append("已同步")
    if running:
        parts.insert(0, "正在同步…")
        colour = BUSY if colour == OK else colour
    tips = [f"服务器：{st.server_url}　工位代码：{st.desk_code}"]
    if st.last_success_at:
        tips.append(f"最近成功同步：{_when(st.last_success_at, now)}")
    if st.last_error:
        tips.append(f"最近错误：{st.last_error}")
    if st.clock_warning:
        tips.append(st.clock_warning)
    return "同步：" + "　".join(parts), colour, "\n".join(tips)
