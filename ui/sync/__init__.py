"""数据同步: the sync status text, the sync page (pending, parked, conflicts, 立即同步) and the enrolment dialog."""
