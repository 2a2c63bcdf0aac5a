"""统计分析: the dashboard, the period report and the half-year ranking (一考一评), over ``reception.stats``."""
