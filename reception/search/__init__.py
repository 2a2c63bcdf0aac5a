"""Finding a case from whatever the petitioner brings: the search box's parser, its indexes and its service."""

INDEX_SETTING = "search_index"
"""The setting that records the version the indexes were built for (``reception.search.index``)."""
INDEX_VERSION = 4
"""Bump when what the indexes hold changes: the next open rebuilds them (2-4: address pairs and triples added).
Here, not in ``index``, so that ``reception.startstate`` reads it without SQLAlchemy."""
