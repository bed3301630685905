"""The on-disk queue: one SQLite file in WAL mode with ``synchronous=FULL``.

Why this survives ``kill -9`` and a power cut:

* an MQTT message is acknowledged to the broker only after the transaction that stored it has committed;
  until then the broker still holds it and delivers it again (QoS 1, persistent session);
* in WAL mode a commit appends to the ``-wal`` file; with ``synchronous=FULL`` SQLite fsyncs that file before
  the commit returns, so a committed row is on the disk, not in the page cache, when the power goes. (With
  NORMAL a commit is safe from a killed process but the last commits can vanish in a power cut: that is the
  window between the broker's acknowledgement and the disk, which FULL closes.) A torn write at the end of the
  WAL is discarded on the next open, so the file is never half-written;
* a row leaves the queue (is marked done) only in the transaction that records the server's answer for it,
  so a gateway killed mid-batch sends the batch again; the server answers "duplicate" for what it has.

Every stored item has a unique key (``messages.Item.key``): a message delivered twice (the broker redelivers
what was stored but not yet acknowledged when the gateway died) is stored once. Forwarded rows are kept for
``keep_done_hours`` so that such a redelivery after forwarding is not sent again either.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from typing import Any

from yam_gateway.messages import Item

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	kind TEXT NOT NULL,
	key TEXT NOT NULL UNIQUE,
	body TEXT NOT NULL,
	received_at REAL NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	done_at REAL,
	outcome TEXT
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (kind, id) WHERE done_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_done ON outbox (done_at) WHERE done_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letter (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	topic TEXT NOT NULL,
	payload TEXT NOT NULL,
	error TEXT NOT NULL,
	at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

ACCEPTED, DUPLICATE, REJECTED = "accepted", "duplicate", "rejected"
#: counters kept in ``meta`` (they survive restarts)
COUNTERS = ("received", "stored", "redelivered", "invalid", ACCEPTED, DUPLICATE, REJECTED)


def connect(path: str, readonly: bool = False) -> sqlite3.Connection:
	if readonly:
		conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, isolation_level=None)
	else:
		os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
		conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
		conn.execute("PRAGMA journal_mode=WAL")
	conn.execute("PRAGMA synchronous=FULL")
	conn.execute("PRAGMA busy_timeout=30000")
	return conn


class Queue:
	"""One connection; each thread (MQTT intake, forwarder) opens its own ``Queue`` on the same file."""

	def __init__(self, path: str, readonly: bool = False):
		self.path = path
		self.conn = connect(path, readonly)
		if not readonly:
			self.conn.executescript(SCHEMA)

	def close(self) -> None:
		self.conn.close()

	# -- intake --------------------------------------------------------------------------------------------

	def put(self, items: Sequence[Item], now: float | None = None) -> int:
		"""Store ``items`` in one committed transaction; returns how many were new (the rest were known)."""
		now = time.time() if now is None else now
		with self._tx() as cur:
			new = 0
			for item in items:
				cur.execute(
					"INSERT OR IGNORE INTO outbox (kind, key, body, received_at) VALUES (?, ?, ?, ?)",
					(item.kind, item.key, json.dumps(item.body, separators=(",", ":")), now),
				)
				new += cur.rowcount
			self._bump(cur, received=len(items), stored=new, redelivered=len(items) - new)
		return new

	def put_dead_letter(self, topic: str, payload: bytes, error: str, now: float | None = None) -> None:
		with self._tx() as cur:
			cur.execute(
				"INSERT INTO dead_letter (topic, payload, error, at) VALUES (?, ?, ?, ?)",
				(
					topic,
					payload.decode("utf-8", "replace")[:65536],
					error[:2000],
					time.time() if now is None else now,
				),
			)
			self._bump(cur, received=1, invalid=1)

	# -- forwarding ----------------------------------------------------------------------------------------

	def next_batch(self, kind: str, limit: int) -> list[tuple[int, dict[str, Any]]]:
		rows = self.conn.execute(
			"SELECT id, body FROM outbox WHERE kind = ? AND done_at IS NULL ORDER BY id LIMIT ?",
			(kind, limit),
		).fetchall()
		return [(row_id, json.loads(body)) for row_id, body in rows]

	def finish(
		self,
		outcomes: Iterable[tuple[int, str, str]],
		retried: Iterable[int] = (),
		now: float | None = None,
	) -> None:
		"""Record the server's answer: ``(row id, outcome, error)`` per finished row, in one transaction.
		A rejected row is also written to the dead letters with the server's reason."""
		now = time.time() if now is None else now
		counts = dict.fromkeys((ACCEPTED, DUPLICATE, REJECTED), 0)
		with self._tx() as cur:
			for row_id, outcome, error in outcomes:
				cur.execute(
					"UPDATE outbox SET done_at = ?, outcome = ?, attempts = attempts + 1 "
					"WHERE id = ? AND done_at IS NULL",
					(now, outcome, row_id),
				)
				if cur.rowcount and outcome == REJECTED:
					cur.execute(
						"INSERT INTO dead_letter (topic, payload, error, at) "
						"SELECT 'server:' || kind, body, ?, ? FROM outbox WHERE id = ?",
						(error[:2000], now, row_id),
					)
				counts[outcome] += cur.rowcount
			cur.executemany("UPDATE outbox SET attempts = attempts + 1 WHERE id = ?", [(i,) for i in retried])
			self._bump(cur, **counts)
			if any(counts.values()):
				cur.execute(
					"INSERT OR REPLACE INTO meta (key, value) VALUES ('last_forward_ok_at', ?)", (repr(now),)
				)

	def purge_done(self, older_than_hours: float, now: float | None = None) -> int:
		cutoff = (time.time() if now is None else now) - older_than_hours * 3600
		with self._tx() as cur:
			cur.execute("DELETE FROM outbox WHERE done_at IS NOT NULL AND done_at < ?", (cutoff,))
			return cur.rowcount

	def requeue_dead_letters(self) -> int:
		"""Rows the server refused go back to the queue (after the operator fixed the cause, e.g. registered
		the device); their dead letters are removed. Messages that never parsed stay dead letters."""
		with self._tx() as cur:
			cur.execute(
				"UPDATE outbox SET done_at = NULL, outcome = NULL WHERE outcome = ? AND body IN "
				"(SELECT payload FROM dead_letter WHERE topic LIKE 'server:%')",
				(REJECTED,),
			)
			count = cur.rowcount
			cur.execute("DELETE FROM dead_letter WHERE topic LIKE 'server:%'")
			return count

	# -- state ---------------------------------------------------------------------------------------------

	def get_meta(self, key: str, default: str = "") -> str:
		row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
		return row[0] if row else default

	def set_meta(self, key: str, value: str) -> None:
		with self._tx() as cur:
			cur.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

	def depth(self, kind: str | None = None) -> int:
		if kind:
			sql, args = "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL AND kind = ?", (kind,)
		else:
			sql, args = "SELECT COUNT(*) FROM outbox WHERE done_at IS NULL", ()
		return self.conn.execute(sql, args).fetchone()[0]

	def stats(self, now: float | None = None) -> dict[str, Any]:
		now = time.time() if now is None else now
		oldest = self.conn.execute("SELECT MIN(received_at) FROM outbox WHERE done_at IS NULL").fetchone()[0]
		last_ok = self.get_meta("last_forward_ok_at")
		counters = {name: int(self.get_meta(f"count_{name}", "0")) for name in COUNTERS}
		return {
			"queue_depth": self.depth(),
			"queue_depth_by_kind": {
				kind: n
				for kind, n in self.conn.execute(
					"SELECT kind, COUNT(*) FROM outbox WHERE done_at IS NULL GROUP BY kind"
				)
			},
			"oldest_queued_age_s": round(now - oldest, 1) if oldest else None,
			"last_forward_ok_at": _iso(float(last_ok)) if last_ok else None,
			"last_forward_ok_age_s": round(now - float(last_ok), 1) if last_ok else None,
			"dead_letters": self.conn.execute("SELECT COUNT(*) FROM dead_letter").fetchone()[0],
			"counters": counters,
			"queue_file_bytes": _file_bytes(self.path),
		}

	def dead_letters(self, limit: int = 50) -> list[dict[str, Any]]:
		rows = self.conn.execute(
			"SELECT id, topic, payload, error, at FROM dead_letter ORDER BY id DESC LIMIT ?", (limit,)
		).fetchall()
		return [{"id": r[0], "topic": r[1], "payload": r[2], "error": r[3], "at": _iso(r[4])} for r in rows]

	# -- helpers -------------------------------------------------------------------------------------------

	def _tx(self):
		return _Transaction(self.conn)

	@staticmethod
	def _bump(cur: sqlite3.Cursor, **counts: int) -> None:
		for name, n in counts.items():
			if n:
				cur.execute(
					"INSERT INTO meta (key, value) VALUES (?, ?) "
					"ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + ?",
					(f"count_{name}", str(n), n),
				)


class _Transaction:
	"""BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error): the write lock is taken at once, so two writers
	queue on busy_timeout instead of failing half-way."""

	def __init__(self, conn: sqlite3.Connection):
		self.conn = conn

	def __enter__(self) -> sqlite3.Cursor:
		self.conn.execute("BEGIN IMMEDIATE")
		self.cur = self.conn.cursor()
		return self.cur

	def __exit__(self, exc_type, exc, tb) -> None:
		self.conn.execute("ROLLBACK" if exc_type else "COMMIT")


def _iso(ts: float) -> str:
	return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _file_bytes(path: str) -> int:
	return sum(os.path.getsize(p) for p in (path, f"{path}-wal") if os.path.exists(p))
