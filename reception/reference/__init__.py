"""The centre's reference data as an administrator keeps it: the administrative directory (乡镇街道 → 村社区 → 网格),
the handling units with their contacts, the category tree with its legal channels and the routing rules.

- ``model``: the rows (plain values, records named by their codes) and the sheets of the Excel workbook;
- ``validate``: every rule a row must satisfy, as a report of (sheet, row, column, problem) in Chinese;
- ``workbook``: the workbook written (export, the template) and read (import), with openpyxl;
- ``store``: reading the rows from the database, applying a validated workbook (all or nothing), and the single-row
  add / edit / retire the admin screens use. Nothing is ever deleted: a record cases refer to is retired.

The same workbook goes through the desk app (管理 → 基础数据), ``reception reference import|export`` and the
server's ``reception server import-reference FILE.xlsx``.
"""
