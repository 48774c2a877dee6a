"""Adapters to the OS and to other programs, one interface per kind (``base.py``)."""
