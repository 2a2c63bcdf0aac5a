"""Merging at the desk (``reception.merge``): 合并信访人… (``petitioners``), and the merges listed with 撤销合并
for administrators (``records``). The case merge dialog is ``ui.cases.merge``."""
