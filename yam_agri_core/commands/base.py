"""What every ``yam`` command shares: the ``yam`` group, the site connection with its transaction (roll
back on any error, commit only on success), translated messages and exit statuses, and looking up what
the admin names (users, role profiles and sites, in English or Arabic)."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import click
import frappe
from frappe import _
from frappe.commands import get_site, pass_context

from yam_agri_core.rules import admin_commands as rules
from yam_agri_core.rules.messages import RuleError

#: The language of the commands' messages; blank: the site's (System Settings).
LANG_ENV = "YAM_LANG"

EXAMPLES = """Examples:

\b
  bench --site SITE yam check
  bench --site SITE yam user add khaled@example.com --name "Khaled Al-Hakimi" \\
      --profile "YAM Silo Operator" --site YEM-TAI-SILO-01
  bench --site SITE yam trace LOT-2026-00001 --forward

Exit status: 0 done, 1 failed, 2 bad input (nothing was written), 4 something needs attention.
Messages are in the site's language; YAM_LANG=en or YAM_LANG=ar chooses another."""


@click.group("yam", epilog=EXAMPLES)
@click.pass_context
def yam(ctx: click.Context) -> None:
	"""YAM Agri Core: the IT admin's work in the shell (runbook sections 1, 4, 5, 7 and 9)."""
	ctx.obj = dict(ctx.obj or {})


@yam.group("user")
def user_group() -> None:
	"""Users: add one with a role profile and site grants, list, grant and revoke sites, disable,
	enable, reset a password."""


class CommandError(Exception):
	"""A refusal the command says in one translated sentence, with its exit status."""

	def __init__(self, message: str, status: int = rules.EXIT_BAD_INPUT):
		super().__init__(message)
		self.message = message
		self.status = status


# --- connection and transaction ------------------------------------------------------------------


@contextmanager
def connected(site: str) -> Iterator[None]:
	"""Connect to ``site`` for the command (or use the connection already open to it: tests, console)."""
	reuse = getattr(frappe.local, "site", None) == site and getattr(frappe.local, "db", None) is not None
	if not reuse:
		frappe.init(site=site)
		frappe.connect()
	lang_before = getattr(frappe.local, "lang", None)
	frappe.local.lang = os.environ.get(LANG_ENV) or frappe.db.get_default("lang") or "en"
	try:
		yield
	finally:
		if reuse:
			frappe.local.lang = lang_before
		else:
			frappe.destroy()


def site_command(writes: bool = True) -> Callable:
	"""Run the command in the site: its return value is the exit status (None: 0). A command that
	``writes`` commits when it ends with 0 or 4 (and was no ``dry_run``); any error rolls everything back
	and ends with a translated message: bad input exits 2, anything unexpected re-raises (exit 1)."""

	def decorate(fn: Callable) -> Callable:
		@functools.wraps(fn)
		def run(context, *args, **kwargs):
			with connected(get_site(context)):
				try:
					status = fn(*args, **kwargs) or rules.EXIT_OK
				except CommandError as error:
					abort(error.message, error.status)
				except RuleError as error:
					from yam_agri_core.rule_bridge import translate_rule_error

					abort(translate_rule_error(error), rules.EXIT_BAD_INPUT)
				except (frappe.ValidationError, frappe.PermissionError, frappe.DuplicateEntryError) as error:
					abort(error_text(error), rules.EXIT_BAD_INPUT)
				except BaseException:
					frappe.db.rollback()
					raise
				if writes and not kwargs.get("dry_run") and status in (rules.EXIT_OK, rules.EXIT_ATTENTION):
					frappe.db.commit()
				else:
					frappe.db.rollback()
			if status:
				raise click.exceptions.Exit(status)

		return pass_context(run)

	return decorate


def abort(message: str, status: int) -> None:
	frappe.db.rollback()
	frappe.clear_messages()
	click.secho(message, fg="red", err=True)
	raise click.exceptions.Exit(status)


def error_text(error: BaseException) -> str:
	"""A Frappe error as one line of plain text (its message, or the last one Frappe showed)."""
	text = frappe.utils.strip_html(str(error)).strip()
	if not text and frappe.local.message_log:
		last = frappe.local.message_log[-1]
		text = frappe.utils.strip_html(last.get("message", "") if isinstance(last, dict) else str(last))
	return text or _(type(error).__name__)


# --- output --------------------------------------------------------------------------------------


def say(message: str = "") -> None:
	click.echo(message)


def warn(message: str) -> None:
	click.secho(message, fg="yellow", err=True)


def print_json(value) -> None:
	click.echo(json.dumps(value, default=str, ensure_ascii=False, indent=1, sort_keys=True))


class Progress:
	"""Progress of long work as ``callback(done, total)``: a bar on a terminal, a count every so often
	otherwise (on stderr, so stdout keeps the report)."""

	def __init__(self, label: str):
		self.label = label
		self.bar = None
		self.done = 0

	def __call__(self, done: int, total: int) -> None:
		if self.bar is None:
			self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
			self.bar.__enter__()
		self.bar.update(done - self.done)
		self.done = done
		if not sys.stderr.isatty():
			click.echo(_("{0}: {1} of {2}").format(self.label, done, total), err=True)

	def close(self) -> None:
		if self.bar is not None:
			self.bar.__exit__(None, None, None)


# --- what the admin names ------------------------------------------------------------------------


def find_user(email: str) -> str:
	"""The User named ``email`` (any case), or exit 2."""
	name = frappe.db.get_value("User", {"name": (email or "").strip()}, "name")
	if not name:
		raise CommandError(_("User {0} does not exist").format(email))
	return name


def find_profile(value: str) -> str:
	"""The Role Profile named ``value`` in English or Arabic (as Desk shows it), or exit 2."""
	names = frappe.get_all("Role Profile", pluck="name")
	known = {name: {name, _(name), _(name, lang="ar")} for name in names}
	return rules.resolve(value, known, _("Role Profile"))


def site_names() -> dict[str, set[str]]:
	"""Each Site with what it is also called: its code, English and Arabic names."""
	rows = frappe.get_all("Site", fields=["name", "site_code", "site_name", "site_name_ar"])
	return {r.name: {v for v in (r.name, r.site_code, r.site_name, r.site_name_ar) if v} for r in rows}


def find_sites(values) -> list[str]:
	"""The Sites named (code, English or Arabic name; repeated or comma-separated), or exit 2."""
	known = site_names()
	return [rules.resolve(value, known, _("Site")) for value in rules.split_values(values)]


def find_site(value: str) -> str:
	sites = find_sites([value])
	if len(sites) != 1:
		raise CommandError(_("Name one site with --site"))
	return sites[0]


def site_label(site: str) -> str:
	"""The site's code with its name (the Arabic name when the messages are Arabic)."""
	english, arabic = frappe.db.get_value("Site", site, ["site_name", "site_name_ar"]) or (None, None)
	name = arabic if frappe.local.lang == "ar" and arabic else english
	return f"{site} ({name})" if name and name != site else site
