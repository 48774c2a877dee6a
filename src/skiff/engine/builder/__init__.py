"""The image builder: Dockerfiles parsed with BuildKit's own parser, planned as a graph of
stages, run with a content-addressed cache per step, and committed as OCI layers."""
