"""sqlite metadata (WAL): one transaction per state change, so a crash leaves it consistent."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS containers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
    ref TEXT PRIMARY KEY,
    image_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS layers (
    chain_id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS networks (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS volumes (
    name TEXT PRIMARY KEY,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time_nano INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time_nano);
"""

Row = dict[str, Any]


class Database:
    """A thin typed wrapper over the sqlite file; all JSON payloads are Docker-shaped dicts."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        self._conn.close()

    # containers
    def put_container(self, container_id: str, name: str, data: Row) -> None:
        self._conn.execute(
            "INSERT INTO containers (id, name, data) VALUES (?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET name = excluded.name, data = excluded.data",
            (container_id, name, json.dumps(data)),
        )

    def delete_container(self, container_id: str) -> None:
        self._conn.execute("DELETE FROM containers WHERE id = ?", (container_id,))

    def containers(self) -> list[Row]:
        return [json.loads(r[0]) for r in self._conn.execute("SELECT data FROM containers")]

    # images and tags
    def put_image(self, image_id: str, data: Row) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO images (id, data) VALUES (?, ?)", (image_id, json.dumps(data))
        )

    def delete_image(self, image_id: str) -> None:
        self._conn.execute("DELETE FROM images WHERE id = ?", (image_id,))

    def images(self) -> list[Row]:
        return [json.loads(r[0]) for r in self._conn.execute("SELECT data FROM images")]

    def set_tag(self, ref: str, image_id: str) -> None:
        self._conn.execute("INSERT OR REPLACE INTO tags (ref, image_id) VALUES (?, ?)",
                           (ref, image_id))

    def delete_tag(self, ref: str) -> None:
        self._conn.execute("DELETE FROM tags WHERE ref = ?", (ref,))

    def tags(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT ref, image_id FROM tags").fetchall())

    # layers
    def put_layer(self, chain_id: str, data: Row) -> None:
        self._conn.execute("INSERT OR REPLACE INTO layers (chain_id, data) VALUES (?, ?)",
                           (chain_id, json.dumps(data)))

    def delete_layer(self, chain_id: str) -> None:
        self._conn.execute("DELETE FROM layers WHERE chain_id = ?", (chain_id,))

    def layers(self) -> list[Row]:
        return [json.loads(r[0]) for r in self._conn.execute("SELECT data FROM layers")]

    # networks
    def put_network(self, network_id: str, data: Row) -> None:
        self._conn.execute("INSERT OR REPLACE INTO networks (id, data) VALUES (?, ?)",
                           (network_id, json.dumps(data)))

    def delete_network(self, network_id: str) -> None:
        self._conn.execute("DELETE FROM networks WHERE id = ?", (network_id,))

    def networks(self) -> list[Row]:
        return [json.loads(r[0]) for r in self._conn.execute("SELECT data FROM networks")]

    # volumes
    def put_volume(self, name: str, data: Row) -> None:
        self._conn.execute("INSERT OR REPLACE INTO volumes (name, data) VALUES (?, ?)",
                           (name, json.dumps(data)))

    def delete_volume(self, name: str) -> None:
        self._conn.execute("DELETE FROM volumes WHERE name = ?", (name,))

    def volumes(self) -> list[Row]:
        return [json.loads(r[0]) for r in self._conn.execute("SELECT data FROM volumes")]

    # events
    def append_event(self, time_nano: int, data: Row) -> None:
        self._conn.execute("INSERT INTO events (time_nano, data) VALUES (?, ?)",
                           (time_nano, json.dumps(data)))

    def events_between(self, since_ns: int, until_ns: int) -> list[Row]:
        rows = self._conn.execute(
            "SELECT data FROM events WHERE time_nano >= ? AND time_nano <= ? ORDER BY seq",
            (since_ns, until_ns),
        )
        return [json.loads(r[0]) for r in rows]

    def trim_events(self, keep: int) -> None:
        self._conn.execute(
            "DELETE FROM events WHERE seq <= (SELECT MAX(seq) FROM events) - ?", (keep,)
        )
