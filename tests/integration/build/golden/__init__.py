"""Golden builds: Dockerfiles covering every instruction, whose image config and history
dockerd 20.10's classic builder recorded (``<case>.json``, made by ``record.py``)."""
