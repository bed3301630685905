"""``yam user ...``: the runbook's user management (section 4) with the rules Desk applies: a user gets a
Role Profile and one User Permission (Allow = Site) per site; without a grant a user sees nothing."""

from __future__ import annotations

import click
import frappe
from frappe import _

from yam_agri_core.commands.base import (
	CommandError,
	error_text,
	find_profile,
	find_sites,
	find_user,
	say,
	site_command,
	site_label,
	user_group,
	warn,
)
from yam_agri_core.rules import admin_commands as rules
from yam_agri_core.rules.reporting import access_flags

SITE_HELP = "Site code, English or Arabic name (repeat --site, or separate with commas)"


def site_grants(user: str) -> dict[str, list[str]]:
	"""Site -> the User Permissions (Allow = Site) that grant it to ``user``."""
	grants: dict[str, list[str]] = {}
	for row in frappe.get_all(
		"User Permission",
		filters={"user": user, "allow": "Site"},
		fields=["name", "for_value"],
		order_by="for_value",
	):
		grants.setdefault(row.for_value, []).append(row.name)
	return grants


def grant_sites(user: str, sites: list[str]) -> None:
	from frappe.permissions import add_user_permission

	have = site_grants(user)
	for site in sites:
		if site in have:
			say(_("Site {0} was already granted to {1}").format(site_label(site), user))
			continue
		add_user_permission("Site", site, user, ignore_permissions=True)
		say(_("Granted site {0} to {1}").format(site_label(site), user))


def revoke_grants(user: str, sites: list[str]) -> None:
	have = site_grants(user)
	for site in sites:
		if site not in have:
			raise CommandError(_("User {0} holds no grant for site {1}").format(user, site))
		for name in have[site]:
			frappe.delete_doc("User Permission", name, ignore_permissions=True)
		say(_("Revoked site {0} from {1}").format(site_label(site), user))


def not_administrator(user: str) -> None:
	if user in ("Administrator", "Guest"):
		raise CommandError(
			_("{0} is not managed with yam user; use bench set-admin-password for the Administrator").format(
				user
			)
		)


@user_group.command("add")
@click.argument("email")
@click.option("--name", "full_name", required=True, help='Full name, e.g. "Khaled Al-Hakimi".')
@click.option(
	"--profile",
	required=True,
	help='Role profile in English or Arabic, e.g. "YAM Silo Operator" or "YAM مشغل صومعة".',
)
@click.option("--site", "sites", multiple=True, help=SITE_HELP)
@click.option("--lang", "language", default="ar", show_default=True, help="The user's language: ar or en.")
@click.option("--mobile", default=None, help="Mobile number (optional).")
@click.option(
	"--welcome/--no-welcome",
	default=True,
	show_default=True,
	help="Mail the welcome link with which the user sets a password.",
)
@site_command()
def user_add(email, full_name, profile, sites, language, mobile, welcome):
	"""Add a user with a role profile and site grants (runbook 4.1).

	\b
	Example:
	  bench --site SITE yam user add khaled@example.com --name "Khaled Al-Hakimi" \\
	      --profile "YAM Silo Operator" --site YEM-TAI-SILO-01 --lang ar
	"""
	email = rules.check_email(email)
	first_name, last_name = rules.split_name(full_name)
	language = rules.language_code(language)
	profile = find_profile(profile)
	sites = find_sites(sites)
	rules.check_sites_for_profile(profile, sites)
	if frappe.db.exists("User", email):
		raise CommandError(
			_("User {0} already exists; change its sites with yam user grant or yam user revoke").format(
				email
			)
		)
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": first_name,
			"last_name": last_name,
			"mobile_no": mobile,
			"language": language,
			"role_profile_name": profile,
			"send_welcome_email": int(welcome),
		}
	).insert(ignore_permissions=True)
	roles = ", ".join(sorted(_(r.role) for r in user.roles)) or "-"
	say(
		_("Created user {0} ({1}): role profile {2} (roles: {3}), language {4}").format(
			user.name, user.full_name, _(profile), roles, language
		)
	)
	grant_sites(user.name, sites)
	if welcome:
		frappe.clear_messages()
		if mail_state(user.name)[0] is None:  # Frappe drops it quietly without an outgoing Email Account
			warn(
				_(
					"No welcome mail could be queued (no outgoing Email Account): give a password with yam user reset-password {0} --print"
				).format(user.name)
			)
			return rules.EXIT_ATTENTION
		say(_("A welcome mail with a link to set the password is queued for {0}").format(user.name))
	else:
		say(
			_("No welcome mail sent: give the user a password with yam user reset-password {0}").format(
				user.name
			)
		)


@user_group.command("sites")
@click.argument("email")
@site_command(writes=False)
def user_sites(email):
	"""List a user's role profile, roles and site grants, and what the access review would flag.

	\b
	Example:
	  bench --site SITE yam user sites khaled@example.com
	"""
	user = frappe.get_doc("User", find_user(email))
	grants = site_grants(user.name)
	roles = sorted(r.role for r in user.roles)
	say(
		_("User {0} ({1}), {2}").format(
			user.name, user.full_name, _("Enabled") if user.enabled else _("Disabled")
		)
	)
	say(
		_("Role profile: {0}; roles: {1}").format(
			_(user.role_profile_name) if user.role_profile_name else "-",
			", ".join(_(r) for r in roles) or "-",
		)
	)
	if grants:
		say(_("Sites granted:"))
		for site in grants:
			say(f"  {site_label(site)}")
	else:
		say(_("No site granted"))
	flags = access_flags(
		enabled=bool(user.enabled),
		user_type=user.user_type,
		roles=roles,
		sites=list(grants),
		has_api_key=bool(user.api_key),
	)
	for flag in flags:
		warn(_("Access review: {0}").format(_(flag)))


@user_group.command("grant")
@click.argument("email")
@click.option("--site", "sites", multiple=True, required=True, help=SITE_HELP)
@site_command()
def user_grant(email, sites):
	"""Grant sites to a user (a User Permission, Allow = Site, per site).

	\b
	Example:
	  bench --site SITE yam user grant khaled@example.com --site YEM-HOD-STORE-01
	"""
	user = find_user(email)
	not_administrator(user)
	grant_sites(user, find_sites(sites))


@user_group.command("revoke")
@click.argument("email")
@click.option("--site", "sites", multiple=True, help=SITE_HELP)
@click.option("--all", "all_sites", is_flag=True, help="Revoke every site the user holds.")
@site_command()
def user_revoke(email, sites, all_sites):
	"""Take sites away from a user.

	\b
	Example:
	  bench --site SITE yam user revoke khaled@example.com --site YEM-HOD-STORE-01
	"""
	user = find_user(email)
	chosen = list(site_grants(user)) if all_sites else find_sites(sites)
	if not chosen:
		raise CommandError(
			_("Name the sites to revoke with --site, or use --all")
			if not all_sites
			else _("User {0} holds no site grant").format(user)
		)
	revoke_grants(user, chosen)


@user_group.command("disable")
@click.argument("email")
@click.option(
	"--keep-sites", is_flag=True, help="Keep the user's site grants (the access review flags them)."
)
@site_command()
def user_disable(email, keep_sites):
	"""Disable a user: no more login; their site grants are revoked (runbook 4.2).

	\b
	Example:
	  bench --site SITE yam user disable khaled@example.com
	"""
	name = find_user(email)
	not_administrator(name)
	user = frappe.get_doc("User", name)
	if user.enabled:
		user.enabled = 0
		user.save(ignore_permissions=True)
		say(_("Disabled user {0}").format(name))
	else:
		say(_("User {0} was already disabled").format(name))
	grants = list(site_grants(name))
	if keep_sites:
		if grants:
			warn(_("User {0} still holds site grants: {1}").format(name, ", ".join(grants)))
	elif grants:
		revoke_grants(name, grants)


@user_group.command("enable")
@click.argument("email")
@site_command()
def user_enable(email):
	"""Enable a disabled user again (grant their sites with yam user grant).

	\b
	Example:
	  bench --site SITE yam user enable khaled@example.com
	"""
	name = find_user(email)
	not_administrator(name)
	user = frappe.get_doc("User", name)
	if user.enabled:
		say(_("User {0} is already enabled").format(name))
		return
	user.enabled = 1
	user.save(ignore_permissions=True)
	say(_("Enabled user {0}").format(name))
	if not site_grants(name):
		warn(_("User {0} holds no site grant and sees nothing until one is granted").format(name))


@user_group.command("reset-password")
@click.argument("email")
@click.option(
	"--print",
	"print_password",
	is_flag=True,
	help="Set a new random password and print it once (instead of mailing a reset link).",
)
@site_command()
def user_reset_password(email, print_password):
	"""Mail the user Frappe's password reset link, or set and print a new password (runbook 4.3).

	\b
	Examples:
	  bench --site SITE yam user reset-password khaled@example.com
	  bench --site SITE yam user reset-password khaled@example.com --print
	"""
	name = find_user(email)
	not_administrator(name)
	user = frappe.get_doc("User", name)
	if not user.enabled:
		raise CommandError(_("User {0} is disabled; enable it first with yam user enable").format(name))
	if print_password:
		from frappe.utils.password import update_password

		password = rules.new_password()
		update_password(name, password, logout_all_sessions=True)
		frappe.db.commit()  # the password is shown only once it is kept
		say(_("New password of {0} (shown once; the user's sessions were logged out):").format(name))
		say(password)
		return
	user.validate_reset_password()
	try:
		user.reset_password(send_email=True)
		status, error = mail_state(user.email or name)
	except frappe.OutgoingEmailError as exc:
		status, error = "Error", error_text(exc)
	if status == "Error":
		raise CommandError(
			_(
				"The reset mail to {0} could not be sent ({1}); check the outgoing Email Account, or use --print"
			).format(name, error or status),
			rules.EXIT_FAILED,
		)
	if status == "Sent":
		say(_("A password reset link was mailed to {0}").format(name))
	else:
		say(
			_("A password reset link for {0} is in the Email Queue ({1})").format(
				name, _(status or "Not Sent")
			)
		)


def mail_state(address: str) -> tuple[str | None, str | None]:
	"""Status and error of the newest mail queued to ``address`` (the one just sent), or (None, None)."""
	Queue, Recipient = frappe.qb.DocType("Email Queue"), frappe.qb.DocType("Email Queue Recipient")
	rows = (
		frappe.qb.from_(Recipient)
		.join(Queue)
		.on(Queue.name == Recipient.parent)
		.select(Queue.status, Queue.error)
		.where(Recipient.recipient == address)
		.orderby(Queue.creation, order=frappe.qb.desc)
		.limit(1)
		.run()
	)
	if not rows:
		return None, None
	status, error = rows[0]
	return status, frappe.utils.strip_html((error or "").strip().splitlines()[-1] if error else "")
