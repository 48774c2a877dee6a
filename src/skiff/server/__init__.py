"""The Engine API over HTTP: thin routers that parse, call one service and serialise."""
