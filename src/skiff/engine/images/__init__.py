"""Images: the local content-addressed store, import, load and save."""
