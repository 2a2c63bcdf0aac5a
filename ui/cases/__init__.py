"""案件查询: the case list, its table model and the case detail dialog."""
