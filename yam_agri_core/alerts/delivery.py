"""Delivering an alert exactly once: claim its keys in the alert log, pick the recipients of the
record's site, queue one email per language and one in-app notification per recipient.

Everything happens in the caller's transaction: if it rolls back, the claim, the Email Queue rows
and the notifications roll back with it, and a retry sends the alert again, once.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.email.doctype.email_account.email_account import EmailAccount
from frappe.utils import get_url_to_form, get_url_to_list, now_datetime

from yam_agri_core.rules import alerting
from yam_agri_core.settings import get_setting

LOG_DOCTYPE = "YAM Alert Log"
#: tries of a claim's insert chosen as a deadlock victim (see claim)
CLAIM_ATTEMPTS = 4
#: Rows a digest shows in full; the rest are counted and linked as a filtered list.
DIGEST_ROWS = 50


@dataclass
class AlertItem:
	"""One record (and state of it) an alert is about."""

	key: str
	doctype: str
	name: str
	occurrence: str = ""
	reading_count: int | None = None
	worst_value: str | None = None
	window_start: dt.datetime | None = None
	window_end: dt.datetime | None = None


@dataclass
class Message:
	"""What the recipients read, rendered once per language."""

	subject: Callable[[str], str]
	body: Callable[[str], str]
	reference_doctype: str
	reference_name: str


@dataclass
class Delivery:
	items: list[AlertItem]
	recipients: list[str] = field(default_factory=list)
	email_queued: bool = False


# --- recipients -----------------------------------------------------------------------------------


class RecipientIndex:
	"""Every user who could receive an alert of the given sites, read with one query."""

	def __init__(self, sites: Iterable[str] | None = None):
		self.candidates = load_candidates(sites)

	def recipients(self, alert_type: str, site: str, doctype: str | None = None) -> list[alerting.Candidate]:
		return alerting.select_recipients(self.candidates, alert_type, site, doctype)


def load_candidates(sites: Iterable[str] | None = None) -> list[alerting.Candidate]:
	"""Enabled desk users holding an alert role with a Site grant (of ``sites`` when given)."""
	roles = sorted({role for roles in alerting.ALERT_ROLES.values() for role in roles})
	User = frappe.qb.DocType("User")
	HasRole = frappe.qb.DocType("Has Role")
	Grant = frappe.qb.DocType("User Permission")
	query = (
		frappe.qb.from_(User)
		.join(HasRole)
		.on((HasRole.parent == User.name) & (HasRole.parenttype == "User"))
		.join(Grant)
		.on((Grant.user == User.name) & (Grant.allow == alerting.SITE))
		.select(
			User.name,
			User.enabled,
			User.user_type,
			User.language,
			HasRole.role,
			Grant.for_value,
			Grant.applicable_for,
		)
		.where(HasRole.role.isin(roles) & (User.enabled == 1) & (User.user_type == alerting.SYSTEM_USER))
	)
	if sites is not None:
		sites = sorted(set(sites))
		if not sites:
			return []
		query = query.where(Grant.for_value.isin(sites))
	candidates: dict[str, alerting.Candidate] = {}
	for row in query.run(as_dict=True):
		candidate = candidates.setdefault(
			row.name,
			alerting.Candidate(
				user=row.name, enabled=bool(row.enabled), user_type=row.user_type, language=row.language
			),
		)
		candidate.roles.add(row.role)
		grant = alerting.Grant(row.for_value, row.applicable_for or None)
		if grant not in candidate.grants:
			candidate.grants.append(grant)
	return list(candidates.values())


# --- claiming keys --------------------------------------------------------------------------------


def claim(alert_type: str, site: str, items: Sequence[AlertItem]) -> list[AlertItem]:
	"""Record ``items`` in the alert log and return those this call recorded.

	The log's unique ``alert_key`` decides: a key recorded by an earlier run, a crashed-and-retried
	run that committed, or another worker running the same job at the same moment (its insert waits
	on the key's lock and is then ignored) is skipped here. The keys are inserted in sorted order, so two
	workers lock them in the same order; MariaDB may still pick one of them as a deadlock victim (``1213``,
	the gap locks of the duplicate checks), and InnoDB then rolls back that worker's whole transaction. When
	the claim was the transaction's first write, nothing else was lost: the insert is tried again, at most
	:data:`CLAIM_ATTEMPTS` times. Otherwise the deadlock is raised for the caller's unit to be retried whole.
	"""
	if not items:
		return []
	items = sorted(items, key=lambda item: item.key)
	now = now_datetime()
	user = frappe.session.user
	names = {item.key: frappe.generate_hash(length=12) for item in items}
	fields = [
		"name",
		"creation",
		"modified",
		"owner",
		"modified_by",
		"docstatus",
		"alert_type",
		"site",
		"reference_doctype",
		"reference_name",
		"occurrence",
		"alert_key",
		"sent_at",
		"reading_count",
		"worst_value",
		"window_start",
		"window_end",
	]
	values = [
		(
			names[item.key],
			now,
			now,
			user,
			user,
			0,
			alert_type,
			site,
			item.doctype,
			item.name,
			item.occurrence,
			item.key,
			now,
			item.reading_count or 0,
			item.worst_value,
			item.window_start,
			item.window_end,
		)
		for item in items
	]
	insert_ignoring_duplicates(fields, values)
	Log = frappe.qb.DocType(LOG_DOCTYPE)
	mine = set(
		frappe.qb.from_(Log).select(Log.name).where(Log.name.isin(list(names.values()))).run(pluck=True)
	)
	return [item for item in items if names[item.key] in mine]


def insert_ignoring_duplicates(fields: list[str], values: list[tuple]) -> None:
	"""The claim's insert, tried again after a deadlock while the transaction had no other write."""
	first_write = not frappe.db.transaction_writes
	for attempt in range(1, CLAIM_ATTEMPTS + 1):
		try:
			frappe.db.bulk_insert(LOG_DOCTYPE, fields, values, ignore_duplicates=True)
			return
		except Exception as e:
			if not (first_write and frappe.db.is_deadlocked(e)) or attempt == CLAIM_ATTEMPTS:
				raise
			# InnoDB has rolled the whole transaction back, and it held nothing but this insert: the next try
			# starts a new one (no frappe.db.rollback(): the caller's after-commit callbacks stay queued)
			time.sleep(random.uniform(0.05, 0.2) * attempt)


def existing_keys(keys: Iterable[str]) -> set[str]:
	keys = list(keys)
	if not keys:
		return set()
	Log = frappe.qb.DocType(LOG_DOCTYPE)
	return set(frappe.qb.from_(Log).select(Log.alert_key).where(Log.alert_key.isin(keys)).run(pluck=True))


# --- sending --------------------------------------------------------------------------------------


def send_alert(
	alert_type: str,
	site: str,
	items: Sequence[AlertItem],
	message: Callable[[Sequence[AlertItem]], Message],
	index: RecipientIndex | None = None,
	doctype: str | None = None,
) -> Delivery | None:
	"""Claim ``items``; if any is new, tell the site's recipients about the new ones, once.

	``message`` builds the text from the items actually claimed, so a digest never lists a record
	another worker already alerted.
	"""
	claimed = claim(alert_type, site, items)
	if not claimed:
		return None
	index = index or RecipientIndex([site])
	recipients = index.recipients(alert_type, site, doctype or claimed[0].doctype)
	delivery = Delivery(items=claimed, recipients=[r.user for r in recipients])
	built = message(claimed)
	emails = get_setting("send_alert_emails")
	for lang, users in alerting.group_by_language(recipients, default=system_language()).items():
		subject, body = built.subject(lang), built.body(lang)
		notify_in_app(users, subject, body, built)
		if emails:
			delivery.email_queued = queue_email(users, subject, body, built) or delivery.email_queued
	record_delivery(claimed, delivery, built.subject(system_language()))
	return delivery


def send_site_digests(
	alert_type: str,
	rows: Iterable[dict],
	make_item: Callable[[dict], AlertItem],
	make_message: Callable[[str, list[dict]], Message],
	commit: bool = False,
) -> int:
	"""One alert per site listing its rows (certificates, devices) not alerted before; returns how
	many sites were alerted. ``commit`` (scheduler jobs only) keeps each site's alert once sent."""
	by_site: dict[str, list[dict]] = defaultdict(list)
	for row in rows:
		by_site[row.site].append(row)
	if not by_site:
		return 0
	index = RecipientIndex(by_site)
	sent = 0
	for site, site_rows in by_site.items():
		rows_by_name = {row.name: row for row in site_rows}

		def message(claimed: Sequence[AlertItem], site=site, rows_by_name=rows_by_name) -> Message:
			return make_message(site, [rows_by_name[i.name] for i in claimed])

		if send_alert(alert_type, site, [make_item(row) for row in site_rows], message, index):
			sent += 1
		if commit:
			frappe.db.commit()  # one site at a time: a crash later keeps what was sent
	return sent


def system_language() -> str:
	return frappe.db.get_default("lang") or "en"


def notify_in_app(users: Iterable[str], subject: str, body: str, message: Message) -> None:
	for user in users:
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"from_user": "Administrator",
				"type": "Alert",
				"subject": subject,
				"email_content": body,
				"document_type": message.reference_doctype,
				"document_name": message.reference_name,
			}
		).insert(ignore_permissions=True)


def queue_email(users: Sequence[str], subject: str, body: str, message: Message) -> bool:
	"""One Email Queue entry for ``users`` (the runbook's Email Queue monitor shows it)."""
	emails = [e for e in frappe.get_all("User", filters={"name": ("in", users)}, pluck="email") if e]
	if not emails:
		return False
	if not EmailAccount.find_outgoing(match_by_doctype=message.reference_doctype):
		# no outgoing account yet (a fresh site): in-app notifications only, and no error shown to the
		# user whose save raised the alert
		return False
	try:
		frappe.sendmail(
			recipients=emails,
			subject=subject,
			message=body,
			reference_doctype=message.reference_doctype,
			reference_name=message.reference_name,
			delayed=True,
		)
	except frappe.OutgoingEmailError:
		# no outgoing email account: the in-app notifications still reach everyone
		frappe.log_error(title=_("YAM alert email not queued"))
		return False
	return True


def record_delivery(items: Sequence[AlertItem], delivery: Delivery, subject: str) -> None:
	Log = frappe.qb.DocType(LOG_DOCTYPE)
	(
		frappe.qb.update(Log)
		.set(Log.subject, subject)
		.set(Log.recipients, "\n".join(delivery.recipients))
		.set(Log.recipient_count, len(delivery.recipients))
		.set(Log.email_queued, int(delivery.email_queued))
		.where(Log.alert_key.isin([item.key for item in items]))
	).run()


# --- message pieces -------------------------------------------------------------------------------


def link(doctype: str, name: str, label: str | None = None) -> str:
	return f'<a href="{get_url_to_form(doctype, name)}">{frappe.utils.escape_html(label or name)}</a>'


def site_label(site: str) -> str:
	site_name = frappe.get_cached_value("Site", site, "site_name")
	return f"{site} ({site_name})" if site_name and site_name != site else site


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
	head = "".join(f'<th style="text-align:start;padding:4px 8px">{h}</th>' for h in headers)
	body = "".join(
		"<tr>" + "".join(f'<td style="padding:4px 8px">{cell}</td>' for cell in row) + "</tr>" for row in rows
	)
	return f'<table style="border-collapse:collapse"><tr>{head}</tr>{body}</table>'


def paragraphs(*texts: str) -> str:
	return "".join(f"<p>{t}</p>" for t in texts if t)


# --- message shapes -------------------------------------------------------------------------------
#
# Every alert reads the same way: a subject, an intro, a table, what to do. The alert modules supply
# their data and their literal templates (inside ``_()``, so translation extraction finds them),
# already translated into the language asked for; the shapes below lay them out.


@dataclass(frozen=True)
class Sheet:
	"""One message in one language. ``rows`` are label/value facts of one record (under
	:func:`fact_headers`) or the records a digest lists; ``more`` says what a digest left out."""

	subject: str
	intro: str
	headers: Sequence[str]
	rows: Sequence[Sequence[str]]
	todo: str
	more: str = ""

	def html(self) -> str:
		return paragraphs(self.intro) + table(self.headers, self.rows) + paragraphs(self.more, self.todo)


@dataclass(frozen=True)
class Digest:
	"""A site digest's words in one language; ``cells`` turns one listed record into its table row."""

	one: str  # the subject when the digest lists one record
	many: str  # the subject when it lists several
	intro: str
	headers: Sequence[str]
	cells: Callable[[dict], Sequence[str]]
	todo: str


def sheet_message(
	doctype: str, name: str, write: Callable[[str], Sheet], subject: Callable[[str], str] | None = None
) -> Message:
	"""A message about ``doctype`` ``name``; ``write`` gives its sheet in a language (once per language),
	``subject`` the subject alone, without the sheet (the log's subject of an alert nobody receives)."""
	write = functools.cache(write)
	return Message(
		subject or (lambda lang: write(lang).subject), lambda lang: write(lang).html(), doctype, name
	)


def fact_headers(lang: str) -> tuple[str, str]:
	"""The header of a single record's label/value table."""
	return (_("Field", lang=lang), _("Value", lang=lang))


def digest_message(
	site: str, rows: Sequence[dict], doctype: str, write: Callable[[str, str], Digest]
) -> Message:
	"""A digest of ``rows`` (records of ``doctype`` at ``site``): the intro, the first ``DIGEST_ROWS``
	rows as a table, a link to the site's filtered list for the rest, and what to do. ``write`` gives
	the words in a language, for the site's label. A digest of one record points at it; of several,
	at their site."""
	label = site_label(site)

	def sheet(lang: str) -> Sheet:
		words = write(lang, label)
		more = ""
		if len(rows) > DIGEST_ROWS:
			more = _("and {0} more: {1}", lang=lang).format(
				len(rows) - DIGEST_ROWS, get_url_to_list(doctype) + f"?site={site}"
			)
		subject = words.one if len(rows) == 1 else words.many
		lines = [words.cells(row) for row in rows[:DIGEST_ROWS]]
		return Sheet(subject, words.intro, words.headers, lines, words.todo, more)

	if len(rows) == 1:
		return sheet_message(doctype, rows[0].name, sheet)
	return sheet_message("Site", site, sheet)
