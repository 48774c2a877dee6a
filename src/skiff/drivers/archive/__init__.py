"""Copying files in and out of a container's filesystem (``docker cp``)."""
