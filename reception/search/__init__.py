"""Finding a case from whatever the petitioner brings: the search box's parser, its indexes and its service."""
