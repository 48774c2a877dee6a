"""Docker's semantics: services with the state machines, locks and events."""
