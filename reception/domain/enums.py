"""Closed vocabularies of the petition domain, with their Chinese labels.

Values are stable ASCII strings stored in the database and sent over sync; ``label`` is what people read.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class LabelledEnum(StrEnum):
    """A string enum whose members carry a Chinese label: ``Member = ("value", "标签")``."""

    _label: str

    def __new__(cls, value: str, label: str) -> LabelledEnum:
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj._label = label
        return obj

    @property
    def label(self) -> str:
        return self._label

    @classmethod
    def parse(cls, value: str) -> Self:
        """The member stored as ``value``; ValueError for an unknown value."""
        for member in cls:
            if member.value == value:
                return member
        raise ValueError(f"unknown {cls.__name__} value")

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored value, or the value itself when unknown (data from a newer version)."""
        try:
            return cls.parse(value).label
        except ValueError:
            return value


class Channel(LabelledEnum):
    """信访形式."""

    VISIT = ("visit", "来访")
    LETTER = ("letter", "来信")
    PHONE = ("phone", "来电")
    ONLINE = ("online", "网上")
    LEADER_DAY = ("leader_day", "领导接访日")


class ContentClass(LabelledEnum):
    """内容分类. Accusations are confidential: never shown to the accused unit."""

    SUGGESTION = ("suggestion", "建议意见类")
    ACCUSATION = ("accusation", "检举控告类")
    CLAIM = ("claim", "申诉求决类")


class DocumentType(LabelledEnum):
    """证件类型."""

    RESIDENT_ID = ("resident_id", "居民身份证")
    PASSPORT = ("passport", "护照")
    HK_MACAO_PERMIT = ("hk_macao", "港澳居民来往内地通行证")
    TAIWAN_PERMIT = ("taiwan", "台湾居民来往大陆通行证")
    FOREIGN_RESIDENCE = ("foreign_residence", "外国人永久居留身份证")
    OTHER = ("other", "其他证件")
    NONE = ("none", "无证件")


class Gender(LabelledEnum):
    """性别."""

    MALE = ("male", "男")
    FEMALE = ("female", "女")
    UNKNOWN = ("unknown", "未说明")


class RoutingAction(LabelledEnum):
    """How the desk routes a matter (docs/domain.md §2 step 3)."""

    ASSIGN = ("assign", "交办")
    FORWARD = ("forward", "转送")
    LEADER_RECEPTION = ("leader_reception", "转值班领导接访")
    LEGAL_CHANNEL = ("legal_channel", "导入法定途径（不作为信访事项受理）")
    NOT_ACCEPTED_FINAL = ("not_accepted_final", "复核终结，不再受理")


class CaseStatus(LabelledEnum):
    """Where a case stands. The full lifecycle arrives with the case-lifecycle issue."""

    REGISTERED = ("registered", "已登记")
    FORWARDED = ("forwarded", "已转送")
    ASSIGNED = ("assigned", "已交办")
    SIGNED = ("signed", "已签收")
    ACCEPTED = ("accepted", "已受理")
    NOT_ACCEPTED = ("not_accepted", "不予受理")
    IN_HANDLING = ("in_handling", "办理中")
    EXTENDED = ("extended", "已延期")
    REPLIED = ("replied", "已答复")
    CLOSED = ("closed", "已销号")
    IN_REVIEW = ("in_review", "复查中")
    IN_RECHECK = ("in_recheck", "复核中")
    FINAL = ("final", "复核终结")
    LEGAL_CHANNEL = ("legal_channel", "已导入法定途径")
    VOID = ("void", "已撤销")
    """An imported case whose whole import an administrator undid after it had synced (``ledger.undo_import``):
    terminal, and left out of every list, search, history check, figure and reminder
    (``merge.resolve.counted_case``)."""

    @property
    def is_open(self) -> bool:
        return self not in {CaseStatus.CLOSED, CaseStatus.FINAL, CaseStatus.LEGAL_CHANNEL, CaseStatus.VOID}

    @property
    def in_handling(self) -> bool:
        """Accepted somewhere and being handled: a new visit must not open a second case."""
        return self in {
            CaseStatus.FORWARDED,
            CaseStatus.ASSIGNED,
            CaseStatus.SIGNED,
            CaseStatus.ACCEPTED,
            CaseStatus.IN_HANDLING,
            CaseStatus.EXTENDED,
            CaseStatus.IN_REVIEW,
            CaseStatus.IN_RECHECK,
        }


VOID_STATUSES: tuple[str, ...] = (CaseStatus.VOID.value,)
"""The case statuses that are no petition matter at all (an import undone): lists, search, the history check,
statistics, reminders and the server's /query and /unit leave such cases out. Read only by
``merge.resolve`` (``counted_case`` and its halves), where the exclusion is written once."""


class HistoryFlag(LabelledEnum):
    """Flags the desk shows when a person or matter has been here before (docs/domain.md §2 step 2)."""

    REPEAT = ("repeat", "重复访")
    SKIP_LEVEL = ("skip_level", "越级访")
    IN_HANDLING = ("in_handling", "已受理办理中")
    CONCLUDED = ("concluded", "复核终结")


class ReceiptLayout(LabelledEnum):
    """Paper for the 登记回执."""

    A4 = ("a4", "A4")
    A5 = ("a5", "A5")
    THERMAL_80 = ("thermal80", "80毫米热敏纸")


class Role(LabelledEnum):
    DESK_OFFICER = ("desk_officer", "接待窗口工作人员")
    DUTY_LEADER = ("duty_leader", "值班领导")
    SUPERVISOR = ("supervisor", "督查")
    ADMIN = ("admin", "系统管理员")
    UNIT_STAFF = ("unit_staff", "责任单位工作人员")


class LocalityLevel(LabelledEnum):
    DISTRICT = ("district", "区")
    TOWNSHIP = ("township", "乡镇（街道）")
    VILLAGE = ("village", "村（社区）")
    GRID = ("grid", "网格")


class UnitKind(LabelledEnum):
    TOWNSHIP = ("township", "乡镇（街道）")
    DEPARTMENT = ("department", "区直部门")
    CENTRE = ("centre", "信访接待中心")
