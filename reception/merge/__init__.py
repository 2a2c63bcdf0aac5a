"""Merging (合并): two cases of one matter into one, two records of one person into one; both undoable.

The design, decided against the sync rules (``reception.server.authority``: a desk writes only its own records and
only the lifecycle's columns of another desk's case; events and audit entries are append-only; cases and
petitioners are never deleted):

- A merge is a synced, append-only record (``case_merge`` / ``petitioner_merge``) made at the desk in its own name
  (``desk_id``), plus the merged-away record's mark ``merged_into`` (a change of one shared column, bumping the
  record's version), plus, for cases, an ``EventKind.MERGED`` event on the surviving case written through the
  lifecycle (``lifecycle.service.record_merge``), whose ``received_on`` is the earliest receipt date of the cases
  merged: the clocks that count from receipt are recomputed from it, and the merged-away case runs no clock.
- Nothing is re-pointed. The merged-away case keeps its visits, events, petitioners and receipts (rows often made
  at other desks, which this desk may not rewrite); every reader resolves through ``merged_into``
  (``reception.merge.resolve``): the case detail shows the surviving case with the visits and events of every case
  merged into it, a search or a case-number lookup of the old number finds the surviving case, the history check
  counts a merged-away petitioner's visits as the survivor's, the old number still reprints its own receipt, the
  statistics and the units' lists count a merged group of cases once (``resolve.counted_case``), and the server's
  query page shows an old receipt the surviving case.
  The petitioner's blind indexes and search indexes stay those of each record, so an ID number or a phone held only
  by the merged-away record still finds the person (resolved to the survivor).
- Undo is another record with ``undoes`` naming the merge, ``merged_into`` cleared, and an ``EventKind.UNMERGED``
  event whose ``received_on`` is the earliest receipt of what is still merged. Only an administrator undoes.
- Sync: the server accepts a merge record only in the pushing desk's name, and a change of ``merged_into`` of
  another desk's record only to what the merge records (stored, or in the same push) determine; a merge event on
  another desk's case only with a merge record naming that case as the survivor. A desk that edited the merged-away
  case offline pushes a change against its old version: the server stores a version conflict with both sides for a
  person (nothing is lost); new visits and events it made there are kept and read with the surviving case.
  Two desks merging one record offline into different ones: the first merge at the server stands; the second's
  version conflict is settled for it by sync (stored, ``merge_first``) and its merge shows as superseded, undone
  by an administrator without touching the record.
- Who: supervisors and administrators merge (``Permission.MERGE``), administrators undo (``Permission.ADMIN``),
  checked at the desk (the server cannot know the person behind a desk's token, as for the roster's edits).
"""
