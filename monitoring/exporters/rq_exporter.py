"""Prometheus exporter of the Frappe worker queues (RQ in redis-queue), for the monitoring profile.

Frappe names its RQ queues "<bench id>:<short|default|long>" (keys rq:queue:...); this serves, on
RQ_EXPORTER_PORT (9102) /metrics:
	yam_rq_queue_jobs{queue}   jobs waiting        yam_rq_failed_jobs{queue}   jobs in the failed registry
	yam_rq_workers             registered workers  yam_rq_up                   1 when Redis answered
No dependency beyond the standard library (a minimal RESP client), so it runs in any Python image.
`rq_exporter.py --healthcheck` exits 0 when the local /metrics answers.
"""

import os
import socket
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def encode(*args: str) -> bytes:
	out = [f"*{len(args)}\r\n".encode()]
	for a in args:
		b = a.encode()
		out.append(b"$%d\r\n%s\r\n" % (len(b), b))
	return b"".join(out)


def read_reply(f):
	line = f.readline()
	if not line:
		raise ConnectionError("redis closed the connection")
	kind, rest = line[:1], line[1:-2]
	if kind in (b"+", b":"):
		return int(rest) if kind == b":" else rest.decode()
	if kind == b"-":
		raise RuntimeError(rest.decode())
	if kind == b"$":
		n = int(rest)
		return None if n < 0 else f.read(n + 2)[:-2].decode()
	if kind == b"*":
		n = int(rest)
		return None if n < 0 else [read_reply(f) for _ in range(n)]
	raise RuntimeError(f"unexpected redis reply {line!r}")


class Redis:
	def __init__(self, url: str, timeout: float = 5.0):
		u = urllib.parse.urlparse(url)
		self.sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=timeout)
		self.f = self.sock.makefile("rb")
		if u.password:
			self.call("AUTH", urllib.parse.unquote(u.password))

	def call(self, *args: str):
		self.sock.sendall(encode(*args))
		return read_reply(self.f)

	def keys(self, pattern: str) -> list[str]:
		cursor, found = "0", []
		while True:
			cursor, batch = self.call("SCAN", cursor, "MATCH", pattern, "COUNT", "500")
			found += batch
			if cursor == "0":
				return sorted(set(found))

	def close(self):
		self.sock.close()


def queue_of(key: str, prefix: str) -> str:
	"""rq:queue:home-frappe-frappe-bench:short -> short (the last part of Frappe's queue name)."""
	return key[len(prefix) :].rsplit(":", 1)[-1]


def collect(r: Redis) -> dict:
	jobs, failed = {}, {}
	for key in r.keys("rq:queue:*"):
		q = queue_of(key, "rq:queue:")
		jobs[q] = jobs.get(q, 0) + int(r.call("LLEN", key))
	for key in r.keys("rq:failed:*"):
		q = queue_of(key, "rq:failed:")
		failed[q] = failed.get(q, 0) + int(r.call("ZCARD", key))
	for q in ("short", "default", "long"):
		jobs.setdefault(q, 0)
		failed.setdefault(q, 0)
	return {"jobs": jobs, "failed": failed, "workers": int(r.call("SCARD", "rq:workers"))}


def render(stats: dict | None) -> str:
	lines = [
		"# HELP yam_rq_up 1 when redis-queue answered this scrape",
		"# TYPE yam_rq_up gauge",
		f"yam_rq_up {0 if stats is None else 1}",
	]
	if stats is None:
		return "\n".join(lines) + "\n"
	for name, key, help_ in (
		("yam_rq_queue_jobs", "jobs", "jobs waiting in a Frappe RQ queue"),
		("yam_rq_failed_jobs", "failed", "jobs in the failed registry of a Frappe RQ queue"),
	):
		lines += [f"# HELP {name} {help_}", f"# TYPE {name} gauge"]
		lines += [f'{name}{{queue="{q}"}} {n}' for q, n in sorted(stats[key].items())]
	lines += ["# HELP yam_rq_workers RQ workers registered", "# TYPE yam_rq_workers gauge"]
	lines.append(f"yam_rq_workers {stats['workers']}")
	return "\n".join(lines) + "\n"


def scrape(url: str) -> str:
	try:
		r = Redis(url)
	except OSError:
		return render(None)
	try:
		return render(collect(r))
	except (OSError, RuntimeError, ValueError):
		return render(None)
	finally:
		r.close()


def serve(url: str, port: int):
	class Handler(BaseHTTPRequestHandler):
		def do_GET(self):
			if self.path.split("?")[0] != "/metrics":
				self.send_error(404)
				return
			body = scrape(url).encode()
			self.send_response(200)
			self.send_header("Content-Type", "text/plain; version=0.0.4")
			self.send_header("Content-Length", str(len(body)))
			self.end_headers()
			self.wfile.write(body)

		def log_message(self, *args):
			pass

	ThreadingHTTPServer(("0.0.0.0", port), Handler).serve_forever()


def main(argv: list[str]) -> int:
	port = int(os.environ.get("RQ_EXPORTER_PORT", "9102"))
	if argv[1:] == ["--healthcheck"]:
		try:
			with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
				return 0 if b"yam_rq_up" in resp.read() else 1
		except OSError:
			return 1
	serve(os.environ.get("RQ_EXPORTER_REDIS", "redis://redis-queue:6379"), port)
	return 0


if __name__ == "__main__":
	sys.exit(main(sys.argv))
