"""统计分析: the figures the centre reports (年度 / 半年 / 季度 / 月 / any range), the dashboard, the half-year unit
ranking (一考一评), their drill-down lists and their Excel / PDF exports.

Everything is computed with SQL aggregates over indexed date ranges (grouped rows are folded in Python only where
the groups are few: days, localities, categories, units), and every figure is defined once in ``indicators`` with
the Chinese name and the written definition the reports print beside it.
"""
