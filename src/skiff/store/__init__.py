"""Persistence: the data-root layout, sqlite metadata and content-addressed blobs."""
