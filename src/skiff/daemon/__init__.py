"""skiffd: configuration, the composition root, signals and live restore."""
