"""Every DocType of the app in Desk: its list view shows the user's records only, its forms open cleanly."""

from __future__ import annotations

import pytest
from browser_rest import RestError
from browser_support import cases, desk_doctypes, ids, site_field

DOCTYPES = desk_doctypes()
LIST_LOADED = (
	"dt => window.cur_list && cur_list.doctype === dt && Array.isArray(cur_list.data) && cur_list.$result"
)


def _readable(desk, doctype: str) -> bool:
	return desk.js("dt => (frappe.boot.user.can_read || []).includes(dt)", doctype)


@pytest.mark.parametrize("doctype", DOCTYPES, ids=ids(DOCTYPES))
@pytest.mark.parametrize("persona,lang", cases())
def test_list_view_shows_what_the_database_holds_for_the_users_sites(desk, doctype):
	assert not doctype.error, doctype.error
	name = doctype.name
	if doctype.data.get("issingle"):
		pytest.skip(f"{name} is a single (its form is opened by the form test)")
	if not _readable(desk, name):
		pytest.skip(f"{desk.persona.key} may not read {name}")
	mark = desk.route("List", name)
	desk.page.wait_for_function(LIST_LOADED, arg=name, timeout=30000)
	desk.wait_idle()
	shown, page_length, filters = desk.js(
		"() => [cur_list.data.length, cur_list.page_length, cur_list.get_filters_for_args()]"
	)
	expected = desk.persona.rest.count(name, filters)
	assert shown == min(expected, page_length), f"{name} list shows {shown} rows, REST counts {expected}"
	field = site_field(name)
	if field:
		sites = desk.persona.sites
		held = desk.env.admin.count(name, [*filters, [name, field, "in", sites]]) if sites else 0
		assert expected == held, (
			f"{name}: {desk.persona.key} gets {expected} over REST, its sites hold {held}"
		)
	desk.shot("List", name)
	desk.assert_clean(mark, f"list view of {name}")


def _open_form(desk, doctype: str, record: str | None) -> int:
	if record:
		mark = desk.route("Form", doctype, record)
		desk.page.wait_for_function(
			"([dt, name]) => window.cur_frm && cur_frm.doctype === dt && cur_frm.doc.name === name",
			arg=[doctype, record],
		)
	else:
		mark = len(desk.errors)
		desk.js("dt => frappe.new_doc(dt)", doctype)
		desk.page.wait_for_function(
			"dt => window.cur_frm && cur_frm.doctype === dt && cur_frm.is_new()", arg=doctype
		)
	desk.wait_idle()
	return mark


@pytest.mark.parametrize("doctype", DOCTYPES, ids=ids(DOCTYPES))
@pytest.mark.parametrize("persona,lang", cases())
def test_form_of_the_newest_record_opens_cleanly(desk, doctype):
	assert not doctype.error, doctype.error
	name = doctype.name
	if not _readable(desk, name):
		pytest.skip(f"{desk.persona.key} may not read {name}")
	if doctype.data.get("issingle"):
		mark = desk.route("Form", name)
		desk.page.wait_for_function("dt => window.cur_frm && cur_frm.doctype === dt", arg=name)
		desk.wait_idle()
		desk.shot("Form", name)
		desk.assert_clean(mark, f"form of {name}")
		return
	try:
		records = desk.persona.rest.names(name)
	except RestError as error:
		pytest.fail(f"listing {name} as {desk.persona.key} failed: {error}")
	creatable = desk.js("dt => frappe.model.with_doctype(dt).then(() => frappe.model.can_create(dt))", name)
	if not records and not creatable:
		pytest.skip(f"{desk.persona.key} sees no {name} and may not create one")
	mark = _open_form(desk, name, records[0] if records else None)
	desk.shot("Form", name)
	desk.assert_clean(mark, f"form of {name} {records[0] if records else '(new)'}")
	if not records:
		desk.js("() => frappe.set_route('List', cur_frm.doctype)")
		desk.wait_idle()


@pytest.mark.parametrize(
	"doctype",
	[d for d in DOCTYPES if site_field(d.name)],
	ids=ids([d for d in DOCTYPES if site_field(d.name)]),
)
@pytest.mark.parametrize("persona,lang", [case for case in cases() if case.values[0] in ("silo", "nogrant")])
def test_a_record_of_another_site_does_not_open(desk, doctype):
	name = doctype.name
	field = site_field(name)
	own = desk.persona.sites
	others = [[name, field, "not in", own]] if own else []
	records = desk.env.admin.names(name, others)
	if not records:
		pytest.skip(f"no {name} outside {own or 'any grant'} to try")
	mark = desk.route("Form", name, records[0])
	desk.page.wait_for_timeout(1500)
	desk.wait_idle()
	opened = desk.js(
		"([dt, n]) => !!(window.cur_frm && cur_frm.doctype === dt && cur_frm.doc.name === n && !cur_frm.doc.__islocal)"
		" && frappe.get_route_str().includes(n)",
		[name, records[0]],
	)
	assert not opened, f"{desk.persona.key} opened {name} {records[0]} of another site"
	pageerrors = [error for error in desk.errors[mark:] if error.startswith("pageerror")]
	assert not pageerrors, f"{name} refused with a JavaScript error: {pageerrors}"
	del desk.errors[mark:]  # the refusal's 403 in the console is the expected answer
