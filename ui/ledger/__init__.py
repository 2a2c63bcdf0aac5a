"""台账导入: the ledger import wizard (管理 menu)."""
