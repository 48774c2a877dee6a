"""Volumes: the local driver's named and anonymous volumes."""
