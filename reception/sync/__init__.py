"""The desk's side of sync: the registry of synced tables, the transactional outbox, enrolment and the sync cycle.

The central server is in ``reception.server``; the wire format shared by both is in ``reception.sync.protocol``.
"""
