"""``skiff``: the docker-compatible command line, a client of the Engine API only.

Layout: ``main`` wires argparse and maps errors to exit codes; ``commands/<group>`` turn flags
into client calls; ``format/`` renders output as docker does (Go templates, tabwriter tables,
units); ``session`` holds the chosen host and lazily connects (``autostart`` starts a local
skiffd when needed); ``terminal``, ``interactive`` and ``attach`` handle TTYs, signals and
hijacked streams; ``containerspec`` and ``opts`` turn create/run flags into the API body.
"""
