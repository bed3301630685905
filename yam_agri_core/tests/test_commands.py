"""The ``yam`` bench commands on a real bench: each driven through click's test runner with the context
bench gives it (``obj`` with the site), as Frappe's own command tests do, and the group through bench's
own entry point in a subprocess. Exit statuses, output, records made, and nothing made on bad input.

The commands commit (that is their job), so the fixtures are committed before each command runs and
every record is named uniquely; what a test makes stays on the test site.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

import frappe
from click.testing import CliRunner
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, get_bench_path, today
from frappe.utils.password import check_password

from yam_agri_core.commands import commands
from yam_agri_core.commands.base import yam
from yam_agri_core.rules import admin_commands as rules
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_device,
	make_lot,
	make_nc,
	make_site,
	make_stored_lot,
	make_transfer,
	unique,
)

test_ignore = TEST_IGNORE

SUBCOMMANDS = (
	"archive",
	"check",
	"db-size",
	"demo",
	"evidence-pack",
	"import-tickets",
	"optimize",
	"recall",
	"smoke",
	"trace",
	"user",
)
USER_SUBCOMMANDS = ("add", "disable", "enable", "grant", "reset-password", "revoke", "sites")


def email() -> str:
	return f"{unique('cmd').lower()}@yam-test.example"


TEST_MAIL_ACCOUNT = "YAM Commands Test Outgoing"


def ensure_outgoing_mail() -> None:
	"""A default outgoing Email Account (under test Frappe queues and marks mail sent without a server)."""
	if not frappe.db.exists("Email Account", TEST_MAIL_ACCOUNT):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": TEST_MAIL_ACCOUNT,
				"email_id": "yam-commands-test@yam-test.example",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"smtp_port": 2525,
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)
	forget_mail_accounts()


def forget_mail_accounts() -> None:
	"""Frappe keeps the outgoing account it found in frappe.local for the request."""
	for attr in ("outgoing_email_account", "incoming_email_account"):
		if hasattr(frappe.local, attr):
			delattr(frappe.local, attr)


@contextmanager
def no_outgoing_mail():
	accounts = frappe.get_all("Email Account", filters={"enable_outgoing": 1}, pluck="name")
	for name in accounts:
		frappe.db.set_value("Email Account", name, "enable_outgoing", 0)
	frappe.db.commit()
	forget_mail_accounts()
	try:
		yield
	finally:
		for name in accounts:
			frappe.db.set_value("Email Account", name, "enable_outgoing", 1)
		frappe.db.commit()
		forget_mail_accounts()


def grants(user: str) -> list[str]:
	return sorted(
		frappe.get_all("User Permission", filters={"user": user, "allow": "Site"}, pluck="for_value")
	)


class CommandCase(FrappeTestCase):
	maxDiff = None

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.site = make_site(site_name=unique("Cmd Silo"), site_name_ar="صومعة الأوامر " + unique("")).name
		cls.other = make_site(site_name=unique("Cmd Farm"), site_type="Farm").name
		ensure_outgoing_mail()
		frappe.db.commit()  # the commands roll back on bad input: the fixtures must outlive that

	def yam(self, *args: str, status: int | None = 0):
		"""``bench --site SITE yam ARGS`` through click's runner; asserts the exit status (unless None)."""
		frappe.db.commit()
		obj = {"sites": [frappe.local.site], "force": False, "verbose": False, "profile": False}
		result = CliRunner().invoke(yam, list(args), obj=obj, catch_exceptions=False)
		frappe.db.rollback()  # see what the command committed
		if status is not None:
			self.assertEqual(result.exit_code, status, result.output)
		return result

	def user(self, *, profile="YAM Silo Operator", sites=None) -> str:
		address = email()
		site_args = [a for s in (sites if sites is not None else [self.site]) for a in ("--site", s)]
		self.yam(
			"user",
			"add",
			address,
			"--name",
			"Khaled Al-Hakimi",
			"--profile",
			profile,
			"--no-welcome",
			*site_args,
		)
		return address


class TestGroup(CommandCase):
	def test_bench_finds_the_yam_group(self):
		self.assertEqual([c.name for c in commands], ["yam"])
		self.assertEqual(sorted(yam.commands), sorted(SUBCOMMANDS))
		self.assertEqual(sorted(yam.commands["user"].commands), sorted(USER_SUBCOMMANDS))

	def test_help_through_bench_itself(self):
		"""`bench --site SITE yam --help` as bench runs it: frappe.utils.bench_helper from sites/."""
		bench = Path(get_bench_path())
		proc = subprocess.run(
			[
				str(bench / "env" / "bin" / "python"),
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				frappe.local.site,
				"yam",
				"--help",
			],
			cwd=bench / "sites",
			capture_output=True,
			text=True,
			timeout=300,
		)
		self.assertEqual(proc.returncode, 0, proc.stderr)
		for name in SUBCOMMANDS:
			self.assertIn(name, proc.stdout)
		self.assertIn("Exit status: 0 done, 1 failed, 2 bad input", proc.stdout)

	def test_every_command_has_help_with_an_example(self):
		for name in SUBCOMMANDS:
			args = [name, "--help"]
			result = self.yam(*args)
			if name != "user":
				self.assertIn("Example", result.output, name)
		for name in USER_SUBCOMMANDS:
			self.assertIn("Example", self.yam("user", name, "--help").output, name)


class TestUserCommands(CommandCase):
	def test_add_makes_the_user_with_profile_roles_language_and_sites(self):
		address = email()
		result = self.yam(
			"user",
			"add",
			address,
			"--name",
			"Khaled Al-Hakimi",
			"--profile",
			"YAM Silo Operator",
			"--site",
			self.site,
			"--site",
			self.other,
			"--lang",
			"ar",
			"--no-welcome",
		)
		user = frappe.get_doc("User", address)
		self.assertEqual((user.first_name, user.last_name, user.language), ("Khaled", "Al-Hakimi", "ar"))
		self.assertEqual(user.role_profile_name, "YAM Silo Operator")
		self.assertIn("Site Operator", [r.role for r in user.roles])
		self.assertEqual(grants(address), sorted([self.site, self.other]))
		self.assertIn(f"Created user {address}", result.output)
		self.assertIn(f"Granted site {self.site}", result.output)

	def test_add_takes_arabic_names_of_profile_and_site(self):
		address = email()
		arabic_site = frappe.db.get_value("Site", self.site, "site_name_ar")
		self.yam(
			"user",
			"add",
			address,
			"--name",
			"خالد الحكيمي",
			"--profile",
			"YAM مشغل صومعة",
			"--site",
			arabic_site,
			"--no-welcome",
		)
		self.assertEqual(frappe.db.get_value("User", address, "role_profile_name"), "YAM Silo Operator")
		self.assertEqual(grants(address), [self.site])

	def test_add_queues_the_welcome_mail(self):
		address = email()
		result = self.yam(
			"user", "add", address, "--name", "Amal", "--profile", "YAM QA Manager", "--site", self.site
		)
		self.assertIn("welcome mail", result.output)
		self.assertTrue(frappe.db.exists("Email Queue Recipient", {"recipient": address}))

	def test_without_outgoing_mail_the_user_is_made_and_told_to_get_a_password(self):
		address = email()
		with no_outgoing_mail():
			result = self.yam(
				"user",
				"add",
				address,
				"--name",
				"Amal",
				"--profile",
				"YAM QA Manager",
				"--site",
				self.site,
				status=rules.EXIT_ATTENTION,
			)
			self.assertIn(f"yam user reset-password {address} --print", result.output)
			self.assertEqual(grants(address), [self.site])
			mail = self.yam("user", "reset-password", address, status=rules.EXIT_FAILED)
			self.assertIn("could not be sent", mail.output)

	def test_bad_input_makes_nothing(self):
		cases = (
			(["--profile", "YAM Driver", "--site", self.site], "Role Profile YAM Driver does not exist"),
			(
				["--profile", "YAM Silo Operator", "--site", "NO-SUCH-SITE"],
				"Site NO-SUCH-SITE does not exist",
			),
			(
				["--profile", "YAM Silo Operator", "--site", self.site, "--site", "NOPE"],
				"Site NOPE does not exist",
			),
			(["--profile", "YAM Silo Operator"], "Give at least one --site"),
			(["--profile", "YAM Silo Operator", "--site", self.site, "--lang", "fr"], "Unknown language fr"),
		)
		for extra, message in cases:
			with self.subTest(extra=extra):
				address = email()
				result = self.yam(
					"user", "add", address, "--name", "Nobody", "--no-welcome", *extra, status=2
				)
				self.assertIn(message, result.output)
				self.assertFalse(frappe.db.exists("User", address))
				self.assertEqual(grants(address), [])
		result = self.yam(
			"user", "add", "not-an-address", "--name", "X", "--profile", "YAM IT Admin", status=2
		)
		self.assertIn("not-an-address is not an email address", result.output)

	def test_add_refuses_an_existing_user(self):
		address = self.user()
		result = self.yam(
			"user",
			"add",
			address,
			"--name",
			"Again",
			"--profile",
			"YAM Auditor",
			"--site",
			self.other,
			status=2,
		)
		self.assertIn("already exists", result.output)
		self.assertEqual(frappe.db.get_value("User", address, "role_profile_name"), "YAM Silo Operator")
		self.assertEqual(grants(address), [self.site])

	def test_it_admin_needs_no_site(self):
		address = self.user(profile="YAM IT Admin", sites=[])
		self.assertIn("System Manager", frappe.get_roles(address))

	def test_sites_lists_grants_and_review_flags(self):
		address = self.user()
		result = self.yam("user", "sites", address)
		self.assertIn(self.site, result.output)
		self.assertIn("YAM Silo Operator", result.output)
		self.assertIn(
			"not-there@yam-test.example does not exist",
			self.yam("user", "sites", "not-there@yam-test.example", status=2).output,
		)

	def test_grant_and_revoke(self):
		address = self.user()
		self.assertIn("was already granted", self.yam("user", "grant", address, "--site", self.site).output)
		self.yam("user", "grant", address, "--site", self.other)
		self.assertEqual(grants(address), sorted([self.site, self.other]))
		self.yam("user", "revoke", address, "--site", self.other)
		self.assertEqual(grants(address), [self.site])

	def test_revoke_of_a_site_not_held_revokes_nothing(self):
		address = self.user()
		result = self.yam("user", "revoke", address, "--site", f"{self.site},{self.other}", status=2)
		self.assertIn(f"holds no grant for site {self.other}", result.output)
		self.assertEqual(grants(address), [self.site])
		self.yam("user", "revoke", address, status=2)
		self.yam("user", "revoke", address, "--all")
		self.assertEqual(grants(address), [])

	def test_disable_revokes_the_sites_unless_kept(self):
		address, kept = self.user(), self.user()
		self.yam("user", "disable", address)
		self.assertEqual((frappe.db.get_value("User", address, "enabled"), grants(address)), (0, []))
		self.assertIn("already disabled", self.yam("user", "disable", address).output)
		self.yam("user", "disable", kept, "--keep-sites")
		self.assertEqual((frappe.db.get_value("User", kept, "enabled"), grants(kept)), (0, [self.site]))
		self.yam("user", "enable", kept)
		self.assertEqual(frappe.db.get_value("User", kept, "enabled"), 1)

	def test_the_administrator_is_not_managed_here(self):
		for args in (("disable", "Administrator"), ("reset-password", "Administrator", "--print")):
			with self.subTest(args=args):
				self.assertIn("set-admin-password", self.yam("user", *args, status=2).output)
		self.assertEqual(frappe.db.get_value("User", "Administrator", "enabled"), 1)

	def test_reset_password_print_sets_a_new_password_once(self):
		address = self.user()
		result = self.yam("user", "reset-password", address, "--print")
		password = result.output.strip().splitlines()[-1]
		self.assertEqual(len(password), rules.PASSWORD_LENGTH)
		self.assertEqual(check_password(address, password), address)

	def test_reset_password_mails_frappes_reset_link(self):
		address = self.user()
		result = self.yam("user", "reset-password", address)
		self.assertIn(f"reset link was mailed to {address}", result.output)
		self.assertTrue(frappe.db.get_value("User", address, "reset_password_key"))

	def test_reset_password_of_a_disabled_user_is_refused(self):
		address = self.user()
		self.yam("user", "disable", address)
		self.assertIn("is disabled", self.yam("user", "reset-password", address, "--print", status=2).output)


class TestHealthCommands(CommandCase):
	def test_check_says_what_needs_attention_and_exits_4(self):
		nc = make_nc(self.site, "Critical").name
		result = self.yam("check", status=rules.EXIT_ATTENTION)
		self.assertIn("Open Critical Nonconformances", result.output)
		self.assertIn("Silent Devices", result.output)
		self.assertIn("Something needs attention", result.output)
		data = json.loads(self.yam("check", "--json", status=rules.EXIT_ATTENTION).output)
		checks = data["checks"]
		self.assertEqual(
			sorted(checks),
			sorted(
				[
					"open_critical_nonconformances",
					"certificates_expiring",
					"certificates_expired",
					"quarantined_readings_24h",
					"silent_devices",
					"scale_mismatches_7d",
					"backup",
				]
			),
		)
		truth = frappe.db.count("Nonconformance", {"status": "Open", "severity": "Critical"})
		self.assertEqual(checks["open_critical_nonconformances"]["count"], truth)
		self.assertTrue(checks["open_critical_nonconformances"]["attention"])
		self.assertIn(nc, checks["open_critical_nonconformances"]["items"])
		self.assertFalse(data["ok"])

	def test_check_reads_run_sh_backups(self):
		with tempfile.TemporaryDirectory() as root:
			stamp = frappe.utils.now_datetime().strftime("%Y%m%d_%H%M")
			folder = Path(root, stamp)
			folder.mkdir()
			for part in rules.RUN_SH_PARTS:
				(folder / part).write_bytes(b"backup")
			data = json.loads(self.yam("check", "--json", "--backups", root, status=None).output)
			self.assertEqual(data["checks"]["backup"]["detail"], str(folder))
			self.assertFalse(data["checks"]["backup"]["attention"])

	def test_check_refuses_a_bad_backup_age(self):
		self.assertIn("--max-backup-age", self.yam("check", "--max-backup-age", "0", status=2).output)

	def test_check_through_bench_exits_4_when_something_needs_attention(self):
		make_nc(self.site, "Critical")
		frappe.db.commit()
		bench = Path(get_bench_path())
		proc = subprocess.run(
			[
				str(bench / "env" / "bin" / "python"),
				"-m",
				"frappe.utils.bench_helper",
				"frappe",
				"--site",
				frappe.local.site,
				"yam",
				"check",
				"--json",
			],
			cwd=bench / "sites",
			capture_output=True,
			text=True,
			timeout=300,
			env={**os.environ, "YAM_LANG": "en"},
		)
		self.assertEqual(proc.returncode, rules.EXIT_ATTENTION, proc.stderr)
		self.assertTrue(json.loads(proc.stdout)["checks"]["open_critical_nonconformances"]["attention"])

	def test_smoke_rolls_its_records_back_and_reports(self):
		before = {dt: frappe.db.count(dt) for dt in ("Site", "Storage Bin", "Lot")}
		frappe.db.commit()
		obj = {"sites": [frappe.local.site], "force": False, "verbose": False, "profile": False}
		result = CliRunner().invoke(yam, ["smoke"], obj=obj, catch_exceptions=False)
		frappe.db.rollback()
		self.assertIn(result.exit_code, (rules.EXIT_OK, rules.EXIT_ATTENTION), result.output)
		self.assertIn("AT-01: created and read back site SMOKE-", result.output)
		self.assertIn("Scheduler:", result.output)
		self.assertIn("Queue default", result.output)
		self.assertEqual(result.output.strip().endswith("OK"), result.exit_code == 0, result.output)
		self.assertEqual({dt: frappe.db.count(dt) for dt in before}, before)
		self.assertFalse(frappe.db.exists("Site", {"site_code": ["like", "SMOKE-%"]}))

	def test_db_size_lists_observation_first(self):
		result = self.yam("db-size", "--limit", "5")
		lines = result.output.splitlines()
		self.assertTrue(lines[0].startswith(f"Database {frappe.conf.db_name}:"), lines[0])
		self.assertTrue(lines[3].startswith("tabObservation"), result.output)
		self.assertIn("Indexes of tabObservation:", result.output)
		self.assertIn("PRIMARY", result.output)
		self.yam("db-size", "--limit", "0", status=2)

	def test_archive_dry_run_and_status_move_nothing(self):
		live = frappe.db.count("Observation")
		result = self.yam("archive", "--dry-run")
		self.assertIn("would move", result.output)
		self.assertIn("Readings archive:", result.output)
		status = self.yam("archive", "--status")
		self.assertNotIn("would move", status.output)
		self.assertIn("Readings in the database:", status.output)
		self.assertEqual(frappe.db.count("Observation"), live)

	def test_optimize_analyzes_and_times(self):
		result = self.yam("optimize", "--doctype", "Observation", "--doctype", "lot")
		self.assertIn("Observation", result.output)
		self.assertIn("Lot", result.output)
		self.assertIn("status: OK", result.output)
		self.assertIn(
			"DocType User does not exist", self.yam("optimize", "--doctype", "User", status=2).output
		)


CSV_HEADER = "ticket_no,date,gross_weight_kg,tare_weight_kg,net_weight_kg,lot,device\n"


class TestRecordCommands(CommandCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.scale = make_device(cls.site, "Scale").name
		frappe.db.commit()

	def ticket_file(self, *rows: str) -> str:
		handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8")
		handle.write(CSV_HEADER + "".join(f"{row}\n" for row in rows))
		handle.close()
		self.addCleanup(os.unlink, handle.name)
		return handle.name

	def row(self, ticket_no: str, gross="13000", tare="10000", net="3000", lot=None) -> str:
		"""A ticket row of a fresh lot of 3,000 kg (or ``lot``): 3,000 kg net is no mismatch."""
		if lot is None:
			lot = make_lot(self.site, 3000).name
			frappe.db.commit()
		return f"{ticket_no},2026-02-23 10:00,{gross},{tare},{net},{lot},{self.scale}"

	def tickets(self, *numbers: str) -> int:
		return frappe.db.count("Scale Ticket", {"site": self.site, "ticket_no": ["in", numbers]})

	def test_import_dry_run_writes_nothing_then_imports(self):
		a, b = unique("T"), unique("T")
		path = self.ticket_file(self.row(a), self.row(b, gross="12200", net="2200"))
		result = self.yam("import-tickets", path, "--site", self.site, "--dry-run")
		self.assertIn("Dry run: nothing was written", result.output)
		self.assertIn("2 imported, 0 skipped, 0 refused, 1 weight mismatches", result.output)
		self.assertEqual(self.tickets(a, b), 0)
		result = self.yam("import-tickets", path, "--site", self.site)
		self.assertEqual(self.tickets(a, b), 2)
		self.assertIn("weight mismatch, nonconformance", result.output)
		again = self.yam("import-tickets", path, "--site", self.site)
		self.assertIn("0 imported, 2 skipped", again.output)

	def test_import_keeps_good_rows_and_exits_4_for_refused_ones(self):
		good, bad = unique("T"), unique("T")
		path = self.ticket_file(self.row(good), self.row(bad, gross="900", tare="1000", net=""))
		result = self.yam("import-tickets", path, "--site", self.site, status=rules.EXIT_ATTENTION)
		self.assertIn("1 imported, 0 skipped, 1 refused", result.output)
		self.assertEqual((self.tickets(good), self.tickets(bad)), (1, 0))

	def test_import_bad_input(self):
		missing = self.yam("import-tickets", "/nonexistent/tickets.csv", "--site", self.site, status=2)
		self.assertIn("The file /nonexistent/tickets.csv does not exist", missing.output)
		number = unique("T")
		path = self.ticket_file(self.row(number))
		self.assertIn(
			"Site NOPE does not exist", self.yam("import-tickets", path, "--site", "NOPE", status=2).output
		)
		self.assertEqual(self.tickets(number), 0)

	def test_trace_and_recall(self):
		source = make_stored_lot(self.site, 4000).name
		transfer = make_transfer(self.site, "Split", [(source, 4000)], [(None, 2500), (None, 1500)])
		children = sorted(row.lot for row in transfer.destination_lots)
		frappe.db.commit()
		forward = self.yam("trace", source, "--forward")
		self.assertIn(f"Forward trace of {source}: 3 lots, 2 transfers", forward.output)
		for child in children:
			self.assertIn(child, forward.output)
		self.assertIn(f"via {transfer.name}", forward.output)
		back = json.loads(self.yam("trace", children[0], "--json").output)
		self.assertEqual(back["direction"], "backward")
		self.assertIn(source, back["nodes"])
		recall = self.yam("recall", source)
		self.assertIn(f"Mock recall of {source}: 3 lots", recall.output)
		self.assertIn("The mass balance closes", recall.output)
		self.assertEqual(
			json.loads(self.yam("recall", source, "--json").output)["mass_balance"]["balanced"], 1
		)
		self.assertIn("Lot LOT-NOPE not found", self.yam("trace", "LOT-NOPE", status=2).output)
		self.yam("recall", "LOT-NOPE", status=2)

	def test_evidence_pack_writes_pdf_and_zip(self):
		packs = frappe.db.count("Evidence Pack")
		start, end = add_days(today(), -30), today()
		result = self.yam("evidence-pack", "--site", self.site, "--from", str(start), "--to", str(end))
		pack = frappe.get_last_doc("Evidence Pack", filters={"site": self.site})
		self.assertEqual(frappe.db.count("Evidence Pack"), packs + 1)
		for line, field in (("PDF: ", "pdf_file"), ("ZIP: ", "zip_file")):
			path = next(x for x in result.output.splitlines() if x.startswith(line))[len(line) :]
			self.assertTrue(Path(path).is_file(), path)
			self.assertTrue(path.endswith(pack.get(field).rsplit("/", 1)[-1]))

	def test_evidence_pack_bad_input_makes_nothing(self):
		packs = frappe.db.count("Evidence Pack")
		for args, message in (
			(["--from", "01/01/2026", "--to", "2026-01-31"], "--from must be a date as YYYY-MM-DD"),
			(["--from", "2026-02-01", "--to", "2026-01-31"], "is before From Date"),
			(["--from", "2026-01-01", "--to", "2026-01-31", "--lot", "LOT-NOPE"], "Lot LOT-NOPE not found"),
		):
			with self.subTest(args=args):
				self.assertIn(message, self.yam("evidence-pack", "--site", self.site, *args, status=2).output)
		self.yam("evidence-pack", "--site", "NOPE", "--from", "2026-01-01", "--to", "2026-01-31", status=2)
		self.assertEqual(frappe.db.count("Evidence Pack"), packs)

	def test_demo(self):
		result = self.yam("demo")
		self.assertTrue(frappe.db.exists("Site", "YEM-TAI-SILO-01"))
		self.assertIn("Observation", result.output)
		sites = frappe.db.count("Site")
		self.yam("demo")
		self.assertEqual(frappe.db.count("Site"), sites)
