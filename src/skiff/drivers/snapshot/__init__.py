"""Layer and container filesystems."""
