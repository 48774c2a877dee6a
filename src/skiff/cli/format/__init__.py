"""Output formatting: Go templates, tabwriter tables, docker's units and per-object contexts."""
