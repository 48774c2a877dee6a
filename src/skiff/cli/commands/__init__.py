"""Command handlers, one module per area; ``tree`` wires them into the parser."""
