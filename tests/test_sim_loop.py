"""The simulators' shared loop (sim_loop), with a scripted simulation, and its process set-up."""

import dataclasses
import datetime as dt
import logging
import random
import signal
import sys

import pytest
from sim_support import DEVICES, ROOT

sys.path.insert(0, str(ROOT / "simulators"))

import mock_iot
import mock_scale
import sim_loop
import yam_sim_client as sim

# ---------------------------------------------------------------------------------------------------------------
# the shared loop (sim_loop), with a scripted simulation


class LoopClient:
	"""list_devices() answers (or raises) from a script; the last answer repeats."""

	def __init__(self, lists, tz="Asia/Aden"):
		self.lists = list(lists)
		self.tz = tz
		self.tz_asked = 0
		self.listed = 0
		self.sleep = lambda s: pytest.fail("the loop used the client's sleep, not the one given")

	def site_timezone(self):
		self.tz_asked += 1
		return self.tz

	def list_devices(self):
		self.listed += 1
		item = self.lists.pop(0) if len(self.lists) > 1 else self.lists[0]
		if isinstance(item, Exception):
			raise item
		return item


@dataclasses.dataclass
class ScriptedSimulation:
	log: logging.Logger = dataclasses.field(default_factory=lambda: logging.getLogger("sim_test"))
	stats: sim_loop.Stats = dataclasses.field(default_factory=sim_loop.Stats)
	no_devices_warning: str = "nothing to simulate here"
	fail_play: list = dataclasses.field(default_factory=list)
	played: list = dataclasses.field(default_factory=list)

	def select_devices(self, client, devices):
		return [d for d in devices if d.get("is_active")]

	def play_round(self, client, devices, clock):
		failure = self.fail_play.pop(0) if self.fail_play else None  # None: this round goes well
		if failure:
			raise failure
		self.played.append(([d["name"] for d in devices], clock()))
		self.stats.sent += len(devices)


def test_loop_counts_rounds_and_sleeps_between_them():
	client, simulation, slept = LoopClient([DEVICES]), ScriptedSimulation(), []
	stats = sim_loop.run_rounds(sim.Config(count=4, interval=7), client, simulation, sleep=slept.append)
	assert stats is simulation.stats and (stats.rounds, stats.errors) == (4, 0)
	assert slept == [7, 7, 7]  # none after the last round
	assert len(simulation.played) == 4 and stats.sent == 4 * 7
	assert client.tz_asked == 1  # the site's time zone is asked once


def test_loop_rereads_devices_every_ten_rounds_and_after_a_failure():
	client = LoopClient([DEVICES])
	sim_loop.run_rounds(sim.Config(count=25, interval=0), client, ScriptedSimulation(), sleep=lambda s: None)
	assert client.listed == 3 and sim_loop.REFRESH_EVERY == 10  # rounds 0, 10 and 20
	client = LoopClient([DEVICES])
	simulation = ScriptedSimulation(fail_play=[None, RuntimeError("boom")])
	stats = sim_loop.run_rounds(sim.Config(count=3, interval=0), client, simulation, sleep=lambda s: None)
	assert stats.errors == 1 and client.listed == 2 and len(simulation.played) == 2


def test_loop_logs_and_counts_outages_under_the_simulators_name(caplog):
	client = LoopClient([sim.GaveUp("502 for ever"), RuntimeError("bad JSON"), DEVICES])
	simulation = ScriptedSimulation(fail_play=[sim.ApiError(500, "odd")])
	with caplog.at_level(logging.INFO, logger="sim_test"):
		stats = sim_loop.run_rounds(sim.Config(count=5, interval=0), client, simulation, sleep=lambda s: None)
	assert (stats.rounds, stats.errors, len(simulation.played)) == (5, 3, 2)
	messages = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
	assert ("sim_test", "ERROR", "backend unreachable: 502 for ever") in messages
	assert [m for m in messages if m[2] == "round failed"] == [("sim_test", "ERROR", "round failed")] * 2
	assert messages[-1] == ("sim_test", "INFO", f"done: {dataclasses.asdict(stats)}")


def test_loop_without_devices_warns_and_plays_nothing(caplog):
	simulation = ScriptedSimulation()
	with caplog.at_level(logging.WARNING, logger="sim_test"):
		sim_loop.run_rounds(
			sim.Config(count=3, interval=0), LoopClient([DEVICES[5:6]]), simulation, sleep=lambda s: None
		)
	assert simulation.played == [] and simulation.stats.errors == 0
	assert [r.getMessage() for r in caplog.records] == ["nothing to simulate here"] * 3  # re-read each round


def test_loop_clock_is_the_sites_or_the_configured_time_zone(monkeypatch):
	asked = []
	monkeypatch.setattr(
		sim, "now_in_tz", lambda tz="", clock=None: asked.append(tz) or dt.datetime(2026, 1, 1)
	)
	for cfg_tz, site_tz, want in (
		("", "Asia/Aden", "Asia/Aden"),
		("", "", ""),
		("Europe/Paris", "X", "Europe/Paris"),
	):
		asked.clear()
		client = LoopClient([DEVICES], tz=site_tz)
		sim_loop.run_rounds(
			sim.Config(count=2, interval=0, timezone=cfg_tz), client, ScriptedSimulation(), lambda s: None
		)
		assert asked == [want, want]
		assert client.tz_asked == (0 if cfg_tz else 1)  # a site that names no zone is not asked again


def test_loop_runs_until_stopped_when_unbounded():
	class Stop(BaseException):
		pass

	slept = []

	def sleep(seconds):
		slept.append(seconds)
		if len(slept) == 30:
			raise Stop  # what SIGTERM's sys.exit does: not an Exception, so the loop lets it through

	with pytest.raises(Stop):
		sim_loop.run_rounds(
			sim.Config(count=None, interval=1), LoopClient([DEVICES]), ScriptedSimulation(), sleep
		)
	assert len(slept) == 30


def test_loop_sleep_keeps_the_heartbeat_fresh(tmp_path):
	hb = tmp_path / "hb"
	sleeper = sim.make_sleeper(str(hb), sleep=lambda s: None)
	sim_loop.run_rounds(
		sim.Config(count=2, interval=60), LoopClient([DEVICES]), ScriptedSimulation(), sleeper
	)
	assert sim.heartbeat_ok(str(hb), 60)


def test_exit_code():
	assert sim_loop.exit_code(sim.Config(count=2), sim_loop.Stats(sent=1)) == 0
	assert sim_loop.exit_code(sim.Config(count=2), sim_loop.Stats(sent=0)) == 1
	assert sim_loop.exit_code(sim.Config(count=None), sim_loop.Stats(sent=0)) == 0


def test_run_main_exit_codes():
	with pytest.raises(SystemExit) as exc:
		sim_loop.run_main(lambda: 3)
	assert exc.value.code == 3

	def interrupted():
		raise KeyboardInterrupt

	with pytest.raises(SystemExit) as exc:
		sim_loop.run_main(interrupted)
	assert exc.value.code == 0


def test_simulators_share_the_command_line():
	for module in (mock_iot, mock_scale):
		args = module.parse_args(["--once", "--max-attempts", "2", "--tz", "Asia/Aden", "-v"])
		assert (args.once, args.max_attempts, args.timezone, args.verbose) == (True, 2, "Asia/Aden", True)
	assert mock_iot.parse_args(["--device", "A", "--device", "B"]).device == ["A", "B"]
	assert mock_scale.parse_args(["--at07"]).at07 and mock_scale.parse_args([]).max_attempts is None


def test_start_sets_up_the_process(monkeypatch):
	handlers = {}
	monkeypatch.setattr(sim_loop.signal, "signal", lambda sig, handler: handlers.setdefault(sig, handler))
	monkeypatch.setenv("YAM_API_KEY", "k")
	monkeypatch.setenv("YAM_API_SECRET", "s")
	monkeypatch.setenv("YAM_HEARTBEAT_FILE", "")
	app = sim_loop.start(
		mock_scale.parse_args(["--count", "2", "--seed", "5", "--max-attempts", "4"]), "gw@x"
	)
	assert (app.cfg.count, app.cfg.seed, app.cfg.api_key, app.client.max_attempts) == (2, 5, "k", 4)
	assert app.client.rng is app.rng and app.client.sleep is app.sleep
	assert app.rng.random() == random.Random(5).random()
	with pytest.raises(SystemExit) as exc:
		handlers[signal.SIGTERM]()
	assert exc.value.code == 0
