"""The Engine API contract shared by the server and the client."""
