"""Logging drivers: where a container's output goes, and (a separate capability) reading it back."""
