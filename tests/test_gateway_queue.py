"""yam-gateway: the on-disk queue (gateway/yam_gateway/queue.py) on a real SQLite file, and its durability
when the writing process is killed with SIGKILL."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

GATEWAY = Path(__file__).resolve().parent.parent / "gateway"
sys.path.insert(0, str(GATEWAY))

from yam_gateway import queue as q
from yam_gateway.messages import OBSERVATION, TICKET, Item


def item(n, kind=OBSERVATION):
	return Item(kind, f"{kind}|{n}", {"device": "TMP-1", "n": n})


@pytest.fixture
def queue(tmp_path):
	queue = q.Queue(str(tmp_path / "queue.sqlite3"))
	yield queue
	queue.close()


def test_wal_and_full_sync_on_every_connection(queue, tmp_path):
	assert queue.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
	assert queue.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
	reader = q.Queue(queue.path, readonly=True)
	assert reader.conn.execute("PRAGMA synchronous").fetchone()[0] == 2
	reader.close()


def test_a_message_delivered_twice_is_stored_once(queue):
	assert queue.put([item(1), item(2)]) == 2
	assert queue.put([item(2), item(3)]) == 1
	assert queue.depth() == 3
	counters = queue.stats()["counters"]
	assert (counters["received"], counters["stored"], counters["redelivered"]) == (4, 3, 1)


def test_batches_come_oldest_first_per_kind(queue):
	queue.put([item(n) for n in range(5)] + [item(9, TICKET)])
	batch = queue.next_batch(OBSERVATION, 3)
	assert [body["n"] for _, body in batch] == [0, 1, 2]
	assert [body["n"] for _, body in queue.next_batch(TICKET, 10)] == [9]


def test_finish_marks_done_and_keeps_the_unanswered(queue):
	queue.put([item(n) for n in range(4)])
	ids = [row_id for row_id, _ in queue.next_batch(OBSERVATION, 10)]
	queue.finish(
		[(ids[0], q.ACCEPTED, ""), (ids[1], q.DUPLICATE, ""), (ids[2], q.REJECTED, "Row 3: bad")],
		retried=[ids[3]],
	)
	assert queue.depth() == 1
	assert [row_id for row_id, _ in queue.next_batch(OBSERVATION, 10)] == [ids[3]]
	stats = queue.stats()
	assert stats["counters"]["accepted"] == 1 and stats["counters"]["duplicate"] == 1
	assert stats["dead_letters"] == 1 and stats["last_forward_ok_at"]
	assert queue.dead_letters()[0]["error"] == "Row 3: bad"
	# a redelivery of a forwarded message is not queued again while the done row is kept
	assert queue.put([item(0)]) == 0


def test_finishing_twice_counts_once(queue):
	queue.put([item(1)])
	((row_id, _),) = queue.next_batch(OBSERVATION, 1)
	queue.finish([(row_id, q.ACCEPTED, "")])
	queue.finish([(row_id, q.ACCEPTED, "")])
	assert queue.stats()["counters"]["accepted"] == 1


def test_done_rows_are_purged_after_the_keep_time(queue):
	queue.put([item(1), item(2)])
	(first, _), _ = queue.next_batch(OBSERVATION, 2)
	queue.finish([(first, q.ACCEPTED, "")], now=time.time() - 25 * 3600)
	assert queue.purge_done(24) == 1
	assert queue.depth() == 1


def test_refused_rows_can_be_requeued(queue):
	queue.put([item(1), item(2)])
	ids = [row_id for row_id, _ in queue.next_batch(OBSERVATION, 2)]
	queue.finish([(ids[0], q.REJECTED, "Device TMP-1 is not registered"), (ids[1], q.ACCEPTED, "")])
	queue.put_dead_letter("yam/S/X/observation", b"garbage", "payload is not JSON")
	assert queue.depth() == 0 and queue.stats()["dead_letters"] == 2
	assert queue.requeue_dead_letters() == 1
	assert [row_id for row_id, _ in queue.next_batch(OBSERVATION, 2)] == [ids[0]]
	assert queue.stats()["dead_letters"] == 1  # the unparseable message stays a dead letter


def test_a_failed_transaction_leaves_nothing(queue):
	class Boom(Exception):
		pass

	with pytest.raises(Boom), queue._tx() as cur:
		cur.execute("INSERT INTO outbox (kind, key, body, received_at) VALUES ('observation', 'k', '{}', 0)")
		raise Boom
	assert queue.depth() == 0


WRITER = textwrap.dedent(
	"""
	import sys
	sys.path.insert(0, sys.argv[2])
	from yam_gateway.queue import Queue
	from yam_gateway.messages import Item
	queue = Queue(sys.argv[1])
	n = 0
	while True:
		queue.put([Item("observation", f"obs|{n}|{k}", {"n": n, "k": k, "pad": "x" * 200}) for k in range(3)])
		print(n, flush=True)  # after the commit: what the gateway would now acknowledge to the broker
		n += 1
	"""
)


@pytest.mark.parametrize("run", range(3))
def test_kill_9_while_writing_loses_no_committed_row(tmp_path, run):
	"""A writer commits groups of rows as fast as it can; after SIGKILL every group it reported committed is
	there whole, the file passes an integrity check, and a new writer carries on."""
	path = tmp_path / "queue.sqlite3"
	proc = subprocess.Popen(
		[sys.executable, "-c", WRITER, str(path), str(GATEWAY)], stdout=subprocess.PIPE, text=True
	)
	reported = []
	deadline = time.monotonic() + 20
	while len(reported) < 50 + 40 * run and time.monotonic() < deadline:
		reported.append(int(proc.stdout.readline()))
	os.kill(proc.pid, signal.SIGKILL)
	proc.wait()
	assert len(reported) >= 50
	conn = sqlite3.connect(path)
	assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
	rows = conn.execute("SELECT body FROM outbox").fetchall()
	groups = {}
	for (body,) in rows:
		n = int(body.split('"n":')[1].split(",")[0])
		groups[n] = groups.get(n, 0) + 1
	assert set(reported) <= set(groups), "a committed group is missing"
	assert all(count == 3 for count in groups.values()), "a group was half-written"
	conn.close()
	again = q.Queue(str(path))
	assert again.put([item("after")]) == 1
	again.close()
