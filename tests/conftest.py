"""Shared fixtures of the pure tier."""

from __future__ import annotations

from pathlib import Path

import pytest

#: The data contract of the steering repository, laid beside this repository (as in CI).
CONTRACT_PATH = Path(__file__).resolve().parents[2] / "shared" / "domain.md"


@pytest.fixture(scope="session")
def contract_text() -> str:
	"""shared/domain.md, or a skip saying where it was looked for."""
	if not CONTRACT_PATH.exists():
		pytest.skip(f"the data contract is not at {CONTRACT_PATH}")
	return CONTRACT_PATH.read_text(encoding="utf-8")


def markdown_table(text: str, heading: str) -> list[list[str]]:
	"""The body rows of the first table under ``## heading`` (cells stripped, backticks kept)."""
	lines = text.split(f"## {heading}", 1)[1].splitlines()
	rows = [line for line in lines if line.startswith("|")]
	return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


@pytest.fixture(scope="session")
def contract_alert_roles(contract_text) -> dict[str, tuple[str, ...]]:
	"""The contract's alert table: alert (lower case) -> roles that receive it."""
	return {
		alert.lower(): tuple(role.strip() for role in roles.split("+"))
		for alert, _when, roles in markdown_table(contract_text, "Alerts")
	}


# ---------------------------------------------------------------------------------------------------------------
# the run.sh tests' sandbox and the simulator tests' fake REST server (their helpers: run_sh_support, sim_support)


@pytest.fixture
def sandbox(tmp_path):
	from run_sh_support import Env

	return Env(tmp_path)


@pytest.fixture
def fake_frappe():
	import http.server
	import threading

	from sim_support import _FakeFrappe

	_FakeFrappe.state = {"headers": [], "observations": [], "tickets": [], "down": 2}
	server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FakeFrappe)
	thread = threading.Thread(target=server.serve_forever, daemon=True)
	thread.start()
	yield f"http://127.0.0.1:{server.server_address[1]}", _FakeFrappe.state
	server.shutdown()
	server.server_close()
