"""OCI runtimes (crun, runc) driven through conmon, the per-container monitor."""
