"""Text at the service edge: what a desk may store, show and print.

A lone surrogate (half of a UTF-16 pair, e.g. from a broken paste or a crafted input) cannot be encoded as UTF-8:
SQLite, the PDF renderer and the JSON of sync all fail on it; a control character (other than tab and line breaks)
breaks printing and exports. Both are refused with a message next to the field, before anything is stored. Free
texts have documented maximum lengths (``REQUEST_MAX``, ``FACTS_MAX``): the receipt prints them in full.
"""

from __future__ import annotations

import re

REQUEST_MAX = 2000
"""诉求: at most 2,000 characters (a receipt page holds about that much; longer matters go in 事实和理由)."""
FACTS_MAX = 5000
"""事实和理由: at most 5,000 characters."""
SEARCH_MAX = 100

_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
"""Control characters (tab, newline and carriage return allowed) and lone surrogates."""


def text_problem(value: str) -> str:
    """'' if ``value`` is text a desk can store and show; else the reason."""
    found = _BAD_CHARS.search(value)
    if found is None:
        return ""
    ch = found.group()
    return "含有无效的字符（不成对的代理字符）" if "\ud800" <= ch <= "\udfff" else "含有控制字符"


def all_clean(values: list[str]) -> bool:
    """Whether every one of ``values`` passes ``text_problem``, in one search over them all (joined by a newline,
    an allowed character): a synced record's dozens of texts are checked with one call instead of one each."""
    return _BAD_CHARS.search("\n".join(values)) is None


def field_problem(label: str, value: str, max_len: int | None = None) -> str:
    """The message for a form field ('' if fine): invalid characters, or longer than ``max_len``."""
    problem = text_problem(value)
    if problem:
        return f"{label}{problem}，请删除后重新输入"
    if max_len is not None and len(value) > max_len:
        return f"{label}过长（最多{max_len}个字，现有{len(value)}个字）"
    return ""
