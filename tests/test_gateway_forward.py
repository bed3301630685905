"""yam-gateway: forwarding (gateway/yam_gateway/forward.py) against a fake YAM server over real HTTP: the new
answer (accepted / duplicates / rejected), the old one, outages, batch limits, tickets, backoff."""

import json
import random
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "gateway"))

from testing import FakeServer, free_port, reading
from yam_gateway import config, messages
from yam_gateway import queue as q
from yam_gateway.forward import Forwarder, Unreachable, backoff_delays, is_retryable


def items(n, device="TMP-1", start=0):
	out = []
	for i in range(start, start + n):
		out += messages.parse_message(f"yam/S1/{device}/observation", json.dumps(reading(i)).encode())
	return out


@pytest.fixture
def server():
	with FakeServer() as srv:
		yield srv


@pytest.fixture
def queue(tmp_path):
	queue = q.Queue(str(tmp_path / "queue.sqlite3"))
	yield queue
	queue.close()


def forwarder(server_url, queue, **cfg):
	settings = config.Config(server_url=server_url, api_key="k", api_secret="s", queue_path=queue.path, **cfg)
	return Forwarder(settings, queue, rng=random.Random(1))


def drain(fwd):
	total = 0
	while fwd.queue.depth():
		done = fwd.forward_once()
		assert done, "no progress"
		total += done
	return total


def test_readings_go_in_batches_and_leave_the_queue(server, queue):
	queue.put(items(1200))
	fwd = forwarder(server.url, queue, batch_size=500)
	assert drain(fwd) == 1200
	assert server.requests == 3 and len(server.stored) == 1200
	assert queue.stats()["counters"]["accepted"] == 1200


def test_a_resend_is_a_duplicate_and_done(server, queue):
	queue.put(items(10))
	fwd = forwarder(server.url, queue)
	drain(fwd)
	requeued = q.Queue(str(Path(queue.path).parent / "second.sqlite3"))  # a gateway that lost its done rows
	requeued.put(items(10))
	drain(forwarder(server.url, requeued))
	assert len(server.stored) == 10
	assert requeued.stats()["counters"]["duplicate"] == 10 and requeued.depth() == 0
	requeued.close()


def test_the_old_answer_without_duplicates(queue):
	with FakeServer(contract="old", max_batch=500) as old:
		queue.put(items(700))
		fwd = forwarder(old.url, queue, batch_size=1000)
		assert fwd.forward_once() == 0  # "At most 500 readings per request": the batch shrinks
		assert fwd.batch_size == 500
		drain(fwd)
		assert len(old.stored) == 700 and queue.depth() == 0


def test_rejected_rows_are_done_and_kept_as_dead_letters(server, queue):
	server.bad_devices = {"BAD-1"}
	queue.put(items(3) + items(2, device="BAD-1"))
	drain(forwarder(server.url, queue))
	assert len(server.stored) == 3
	stats = queue.stats()
	assert stats["counters"]["rejected"] == 2 and stats["dead_letters"] == 2
	assert "inactive" in queue.dead_letters()[0]["error"]


def test_server_down_keeps_everything_queued_and_raises(server, queue):
	queue.put(items(5))
	server.down = True
	fwd = forwarder(server.url, queue)
	with pytest.raises(Unreachable, match="503"):
		fwd.forward_once()
	assert queue.depth() == 5
	server.down = False
	assert drain(fwd) == 5


def test_no_server_at_all_is_unreachable(queue):
	queue.put(items(2))
	fwd = forwarder(f"http://127.0.0.1:{free_port()}", queue, timeout=2)
	with pytest.raises(Unreachable, match="ConnectionError"):
		fwd.forward_once()
	assert queue.depth() == 2


class Answer:
	def __init__(self, status, body):
		self.status_code, self._body = status, body
		self.content = json.dumps(body).encode()
		self.text = self.content.decode()

	def json(self):
		return self._body


class ScriptedSession:
	"""Answers in order; records what was sent."""

	def __init__(self, *answers):
		self.answers = list(answers)
		self.sent = []
		self.headers = {}

	def request(self, method, url, timeout=None, json=None, **kw):
		self.sent.append(json)
		answer = self.answers.pop(0)
		return answer(json) if callable(answer) else answer


def scripted(queue, *answers):
	cfg = config.Config(server_url="http://x", api_key="k", api_secret="s", queue_path=queue.path)
	return Forwarder(cfg, queue, session=ScriptedSession(*answers))


@pytest.mark.parametrize("status", [401, 403, 404, 429, 500, 502, 504])
def test_set_up_problems_and_server_errors_are_retried(queue, status):
	queue.put(items(2))
	fwd = scripted(queue, Answer(status, {"exc_type": "X"}))
	with pytest.raises(Unreachable):
		fwd.forward_once()
	assert queue.depth() == 2


def test_rows_the_answer_does_not_name_stay_queued(queue):
	queue.put(items(3))
	fwd = scripted(queue, Answer(200, {"message": {"accepted": [{"row": 1}, {"row": 3}], "rejected": []}}))
	assert fwd.forward_once() == 2
	assert [b["observed_at"] for _, b in queue.next_batch("observation", 5)] == ["2026-02-23T00:01:00Z"]


def test_a_whole_batch_refusal_finds_the_row_at_fault(queue):
	queue.put(items(4))

	def judge(payload):
		bad = any(r["observed_at"].endswith("00:02:00Z") for r in payload["readings"])
		if bad:
			return Answer(417, {"exc_type": "ValidationError", "exception": "ValidationError: bad row"})
		rows = [{"row": i + 1} for i in range(len(payload["readings"]))]
		return Answer(200, {"message": {"accepted": rows, "rejected": []}})

	fwd = scripted(queue, *[judge] * 10)
	assert fwd.forward_once() == 4
	stats = queue.stats()
	assert stats["counters"]["accepted"] == 3 and stats["counters"]["rejected"] == 1
	assert "bad row" in queue.dead_letters()[0]["error"]


def test_an_unexpected_200_is_not_taken_as_an_answer(queue):
	queue.put(items(1))
	fwd = scripted(queue, Answer(200, {"html": "captive portal"}))
	with pytest.raises(Unreachable):
		fwd.forward_once()
	assert queue.depth() == 1


def ticket_items(*numbers, gross=15000):
	out = []
	for n in numbers:
		payload = {"ticket_no": n, "ts": "2026-02-23T09:30:00Z", "gross_kg": gross, "tare_kg": 12000}
		out += messages.parse_message("yam/S1/SCALE-1/ticket", json.dumps(payload).encode())
	return out


def test_tickets_go_one_by_one_submitted_in_the_servers_time(server, queue):
	queue.put(ticket_items("T-1", "T-2"))
	assert drain(forwarder(server.url, queue)) == 2
	doc = server.tickets[("S1", "T-1")]
	assert doc["ticket_datetime"] == "2026-02-23 12:30:00"  # Asia/Aden, asked of the server once
	assert doc["docstatus"] == 1 and queue.get_meta("server_timezone") == "Asia/Aden"


def test_a_resent_ticket_is_a_duplicate_and_a_bad_one_a_dead_letter(server, queue):
	queue.put(ticket_items("T-1"))
	drain(forwarder(server.url, queue))
	second = q.Queue(str(Path(queue.path).parent / "second.sqlite3"))
	second.put(ticket_items("T-1") + ticket_items("T-9", gross=200000))
	drain(forwarder(server.url, second, server_timezone="Asia/Aden"))
	counters = second.stats()["counters"]
	assert counters["duplicate"] == 1 and counters["rejected"] == 1 and len(server.tickets) == 1
	second.close()


def test_backoff_grows_to_the_cap_with_jitter():
	delays = backoff_delays(2, 60, random.Random(3))
	values = [next(delays) for _ in range(10)]
	assert 1.6 <= values[0] <= 2.4 and 3.2 <= values[1] <= 4.8
	assert all(v <= 60 for v in values) and values[-1] >= 48
	assert is_retryable(None) and is_retryable(503) and not is_retryable(417) and not is_retryable(409)


def test_the_loop_backs_off_while_down_and_drains_when_back(server, queue):
	queue.put(items(20))
	server.down = True
	fwd = forwarder(server.url, queue, backoff_base=0.05, backoff_cap=0.2, linger_seconds=0.05)
	stop = threading.Event()
	thread = threading.Thread(target=fwd.run, args=(stop,))
	thread.start()
	try:
		for _ in range(100):
			if server.requests >= 3:
				break
			stop.wait(0.05)
		assert server.requests >= 3 and queue.depth() == 20 and "503" in fwd.last_error
		server.down = False
		for _ in range(100):
			if not queue.depth():
				break
			stop.wait(0.05)
		assert queue.depth() == 0 and len(server.stored) == 20
	finally:
		stop.set()
		thread.join(5)
