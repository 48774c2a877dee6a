"""Monitoring: the engine's and every container's series for Prometheus."""
