"""skiff compose: multi-container applications from compose files, as a client of the Engine API."""
