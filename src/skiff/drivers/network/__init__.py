"""Container networking data plane: network namespaces and CNI plugins."""
