"""Networks: Docker's network model, IPAM bookkeeping and (later) name resolution."""
