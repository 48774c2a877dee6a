"""Containers: the record, its state machine, the OCI spec, logs and attach."""
