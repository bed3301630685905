"""Helpers of the operations tests (backup tiers, offsite, watch, schedule, disaster recovery); not collected.

`smtp_server` makes the `smtp` fixture: a tiny SMTP server on 127.0.0.1 that keeps every message, with the environment that points
run.sh's host mail (yam_agri_core/ops.py sendmail) at it. `call_part` runs one function of run.sh's parts in the
sandbox, as run.sh would (its settings and .env loaded).
"""

import socket
import socketserver
import subprocess
import threading
from pathlib import Path

from run_sh_support import ROOT


class _SMTPHandler(socketserver.StreamRequestHandler):
	def reply(self, text):
		self.wfile.write((text + "\r\n").encode())

	def handle(self):
		self.reply("220 fake smtp")
		data, body = False, []
		for raw in self.rfile:
			line = raw.decode(errors="replace").rstrip("\r\n")
			if data:
				if line == ".":
					self.server.messages.append("\n".join(body))
					data, body = False, []
					self.reply("250 queued")
				else:
					body.append(line)
				continue
			verb = line[:4].upper()
			if verb == "EHLO" or verb == "HELO":
				self.reply("250 fake")
			elif verb == "DATA":
				data = True
				self.reply("354 go on")
			elif verb == "QUIT":
				self.reply("221 bye")
				return
			else:
				self.reply("250 ok")


class FakeSMTP:
	def __init__(self):
		self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
		self.server.daemon_threads = True
		self.server.messages = []
		self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
		self.thread.start()
		port = self.server.server_address[1]
		self.env = {"YAM_HOST_MAIL_SERVER": "127.0.0.1", "YAM_HOST_MAIL_PORT": str(port)}

	@property
	def messages(self):
		return self.server.messages

	def close(self):
		self.server.shutdown()
		self.server.server_close()


def smtp_server():
	"""Body of the test modules' `smtp` fixture: `yield from smtp_server()`."""
	server = FakeSMTP()
	yield server
	server.close()


def closed_port():
	s = socket.socket()
	s.bind(("127.0.0.1", 0))
	port = s.getsockname()[1]
	s.close()
	return port


def call_part(sandbox, *words, **env):
	"""Run `words` (a function of scripts/run/*.sh and its arguments) with every part sourced and .env loaded."""
	script = (
		'SCRIPT_DIR="$1"; shift; source "$SCRIPT_DIR/scripts/run/common.sh";'
		' for p in "$SCRIPT_DIR"/scripts/run/*.sh; do [[ "$p" == */common.sh ]] || source "$p"; done; load_env "$ENV_FILE"; "$@"'
	)
	return subprocess.run(
		["bash", "-c", "set -euo pipefail; " + script, "_", str(ROOT), *words],
		env=sandbox.environ(**env),
		capture_output=True,
		text=True,
		cwd=sandbox.tmp,
		timeout=120,
	)


def fake_tool(sandbox, name, body):
	"""A stand-in command NAME (bash BODY) in the sandbox's own bin folder; returns the PATH to use."""
	bindir = Path(sandbox.tmp) / "bin"
	bindir.mkdir(exist_ok=True)
	tool = bindir / name
	tool.write_text("#!/usr/bin/env bash\n" + body + "\n")
	tool.chmod(0o755)
	return f"{bindir}:{sandbox.environ()['PATH']}"
