"""The image builder: Dockerfiles parsed with BuildKit's own parser, planned as a graph of
stages, run with a content-addressed cache per step, and committed as OCI layers.

- ``dockerfile``, ``words``: parsing, checking and substitution (pure).
- ``stages``: the stage graph, target pruning, levels that run together (pure).
- ``steps``: config-only instructions and their history lines (pure).
- ``context``, ``copysources``, ``files``, ``remote``: the build context, what a COPY/ADD reads
  (context, stage, URL, Git) and the file work itself.
- ``mounts``: ``RUN --mount`` specs and the cache mounts kept between builds.
- ``executor``: RUN, COPY, ADD and WORKDIR in step containers, committed as layers.
- ``explain``, ``cachefrom``: cache keys from step inputs, reasons for misses, --cache-from.
- ``progress``: the classic message stream and skiff's structured events.
- ``run``: one build in progress; ``service``: POST /build, cancel, prune, cache export.
- ``commit``: POST /commit, which shares the layer path.
"""
