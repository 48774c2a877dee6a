"""``skiff``: the docker-compatible command line, a client of the Engine API only.

Layout: ``main`` wires argparse and maps errors to exit codes; ``commands/<group>`` turn flags
into client calls; ``format/`` renders output as docker does (Go templates, tabwriter tables,
units); ``session`` holds the chosen host and lazily connects (``autostart`` starts a local
skiffd when needed); ``terminal`` and ``attach`` handle TTYs and hijacked streams.
"""
