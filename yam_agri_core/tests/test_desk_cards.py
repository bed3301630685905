"""The Desk's number cards and charts as a user of site A, a user of site B and a user with no grant:
each sees the figures of their own sites (zeros without a grant), equal to what the database holds,
and quarantined readings never feed the temperature chart unless asked for."""

from __future__ import annotations

import json

import frappe
from frappe.desk.desktop import get_desktop_page
from frappe.desk.doctype.number_card.number_card import get_result
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, getdate, now_datetime, today

from yam_agri_core.desk import cards, charts
from yam_agri_core.rules import dashboards
from yam_agri_core.tests.utils import (
	TEST_IGNORE,
	make_bin,
	make_certificate,
	make_device,
	make_lot,
	make_nc,
	make_reading,
	make_site,
	make_ticket,
	make_user,
)

test_ignore = TEST_IGNORE

WORKSPACES = ("YAM Agri", "Grain Traceability", "Grain Quality", "Bin Monitoring")
DOCTYPE_CARDS = (
	"Open Critical Nonconformances",
	"Overdue Nonconformances",
	"Certificates Expiring in 30 Days",
	"Expired Certificates",
	"Quarantined Readings (24 h)",
	"Mismatched Tickets (7 Days)",
)


def card_filters(card) -> list[list]:
	"""The card's filters as Desk sends them: static ones plus the dynamic ones evaluated."""
	filters = json.loads(card.filters_json or "[]")
	for row in json.loads(card.dynamic_filters_json or "[]"):
		value = dashboards.resolve_dynamic(row[3], getdate(today()), now_datetime())
		filters.append([row[0], row[1], row[2], str(value)])
	return filters


def fill_site(site: str, n: int) -> None:
	"""``n`` of each thing the cards count at ``site`` (n differs per site, so leaks show)."""
	bin_ = make_bin(site, "B1").name
	for i in range(n):
		make_nc(site, "Critical")
		make_nc(site, "Minor", due_date=add_days(today(), -3 - i))
		make_certificate(site, days_to_expiry=10 + i)
		make_certificate(site, days_to_expiry=-5 - i)
		make_lot(site, 1000 + i, status="In Storage")
		make_device(site, last_seen_at=add_to_date(now_datetime(), hours=-3), stale_after_minutes=60)
		make_device(site, calibration_due_date=add_days(today(), 2))
		make_ticket(site, 2300, 100, expected=3000, submit=True, ticket_datetime=now_datetime())
		make_ticket(site, 1100, 100, submit=True, direction="Outbound", ticket_datetime=now_datetime())
		for value, minutes in ((20.0, 30), (32.0, 90), (42.0, 150)):
			device = make_device(site, storage_bin=bin_, stale_after_minutes=600).name
			make_reading(device, value, minutes_ago=minutes + i)


class TestDeskCards(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.site_a, cls.site_b = make_site().name, make_site().name
		fill_site(cls.site_a, 2)
		fill_site(cls.site_b, 1)
		roles = ["Quality Manager", "Site Operator"]
		cls.user_a = make_user(roles, [cls.site_a], "card-a")
		cls.user_b = make_user(roles, [cls.site_b], "card-b")
		cls.user_none = make_user(roles, [], "card-none")

	def tearDown(self):
		frappe.set_user("Administrator")

	def truth(self, card, site: str) -> float:
		"""What the database holds for ``card`` at ``site`` (read as Administrator)."""
		frappe.set_user("Administrator")
		filters = [*card_filters(card), [card.document_type, "site", "=", site]]
		field = "count(*)" if card.function == "Count" else f"sum({card.aggregate_function_based_on})"
		value = frappe.get_all(card.document_type, filters=filters, fields=[f"{field} as v"])[0].v
		return float(value or 0)

	def value_as(self, user: str, card) -> float:
		frappe.set_user(user)
		return get_result(card.as_json(), card_filters(card))

	def test_document_type_cards_count_only_the_users_sites(self):
		for name in DOCTYPE_CARDS:
			card = frappe.get_doc("Number Card", name)
			with self.subTest(card=name):
				a, b = self.truth(card, self.site_a), self.truth(card, self.site_b)
				self.assertGreater(a, b, "fixtures make site A bigger than site B")
				self.assertGreater(b, 0)
				self.assertEqual(self.value_as(self.user_a, card), a)
				self.assertEqual(self.value_as(self.user_b, card), b)
				self.assertEqual(self.value_as(self.user_none, card), 0)

	def test_card_figures_match_the_fixtures(self):
		expected_a = {
			"Open Critical Nonconformances": 2,
			"Overdue Nonconformances": 2,
			"Certificates Expiring in 30 Days": 2,
			"Expired Certificates": 2,
			"Quarantined Readings (24 h)": 2,
			"Mismatched Tickets (7 Days)": 2,
		}
		for name, value in expected_a.items():
			with self.subTest(card=name):
				self.assertEqual(self.value_as(self.user_a, frappe.get_doc("Number Card", name)), value)

	def custom(self, user: str, method) -> int:
		frappe.set_user(user)
		return method()["value"]

	def test_silent_devices_and_calibration_due(self):
		for method in (cards.count_silent_devices, cards.count_calibration_due):
			with self.subTest(method=method.__name__):
				self.assertEqual(self.custom(self.user_a, method), 2)
				self.assertEqual(self.custom(self.user_b, method), 1)
				self.assertEqual(self.custom(self.user_none, method), 0)

	def test_grain_on_hand_is_whole_kilograms_of_the_users_sites(self):
		self.assertEqual(self.custom(self.user_a, cards.grain_on_hand), 1000 + 1001)
		self.assertEqual(self.custom(self.user_b, cards.grain_on_hand), 1000)
		self.assertEqual(self.custom(self.user_none, cards.grain_on_hand), 0)
		frappe.set_user(self.user_a)
		answer = cards.grain_on_hand()
		self.assertEqual((answer["fieldtype"], answer["route"]), ("Float", ["List", "Lot"]))

	def test_open_critical_counts_a_critical_nonconformance_under_investigation(self):
		card = frappe.get_doc("Number Card", "Open Critical Nonconformances")
		before = self.value_as(self.user_b, card)
		nc = make_nc(self.site_b, "Critical")
		frappe.db.set_value("Nonconformance", nc.name, "status", "Under Investigation")
		self.assertEqual(self.value_as(self.user_b, card), before + 1)
		frappe.db.set_value("Nonconformance", nc.name, "status", "Closed")
		self.assertEqual(self.value_as(self.user_b, card), before)

	def test_silent_devices_routes_to_exactly_those_devices(self):
		frappe.set_user(self.user_a)
		names = cards.count_silent_devices()["route_options"]["name"][1]
		sites = {frappe.db.get_value("Device", n, "site") for n in names}
		self.assertEqual((len(names), sites), (2, {self.site_a}))

	def chart(self, user: str, method, **filters) -> dict:
		frappe.set_user(user)
		return method(filters=json.dumps(filters))

	def totals(self, data: dict) -> dict[str, float]:
		return {d["name"]: sum(v or 0 for v in d["values"]) for d in data.get("datasets", [])}

	def test_temperature_chart_excludes_quarantined_readings(self):
		data = self.chart(self.user_a, charts.get_bin_temperature, period="Last 24 Hours")
		(series,) = data["datasets"]
		# the bin's code, marked: its 42 degree readings were quarantined (drawn as a gap, never 0)
		self.assertEqual(series["name"], frappe._("{0} (quarantined)").format("B1"))
		self.assertNotIn(0, series["values"])
		self.assertEqual(max(v for v in series["values"] if v is not None), 32.0)
		self.assertNotIn(42.0, series["values"])
		asked = self.chart(
			self.user_a, charts.get_bin_temperature, period="Last 24 Hours", include_quarantined=1
		)
		self.assertEqual(max(v for v in asked["datasets"][0]["values"] if v is not None), 42.0)

	def test_temperature_chart_shows_only_the_users_bins(self):
		data = self.chart(self.user_b, charts.get_bin_temperature)
		self.assertEqual([d["name"] for d in data["datasets"]], [frappe._("{0} (quarantined)").format("B1")])
		self.assertEqual(self.chart(self.user_none, charts.get_bin_temperature), {})
		# asking for another site's bin or site gives nothing
		a_bin = frappe.db.get_value("Storage Bin", {"site": self.site_a}, "name")
		self.assertEqual(self.chart(self.user_b, charts.get_bin_temperature, storage_bin=a_bin), {})
		self.assertEqual(self.chart(self.user_b, charts.get_bin_temperature, site=self.site_a), {})

	def test_nonconformance_chart_counts_the_users_open_ncs(self):
		for user, site in ((self.user_a, self.site_a), (self.user_b, self.site_b)):
			data = self.chart(user, charts.get_nonconformances_by_status)
			truth = frappe.db.count("Nonconformance", {"site": site, "status": ["!=", "Closed"]})
			self.assertEqual(sum(self.totals(data).values()), truth)
		self.assertEqual(
			sum(self.totals(self.chart(self.user_none, charts.get_nonconformances_by_status)).values()), 0
		)

	def test_weighed_chart_sums_submitted_tickets_per_direction(self):
		for user, site in ((self.user_a, self.site_a), (self.user_b, self.site_b)):
			totals = self.totals(self.chart(user, charts.get_weighed_per_day, days=7))
			for direction in dashboards.DIRECTIONS:
				truth = frappe.db.get_value(
					"Scale Ticket", {"site": site, "docstatus": 1, "direction": direction}, "sum(net_kg)"
				)
				self.assertEqual(totals[frappe._(direction)], float(truth or 0))
		self.assertEqual(sum(self.totals(self.chart(self.user_none, charts.get_weighed_per_day)).values()), 0)

	def test_grain_on_hand_chart_by_site_and_crop(self):
		data = self.chart(self.user_a, charts.get_grain_on_hand)
		self.assertEqual(data["labels"], [self.site_a])
		frappe.set_user(self.user_a)
		self.assertEqual(sum(self.totals(data).values()), cards.grain_on_hand()["value"])
		self.assertEqual(self.chart(self.user_none, charts.get_grain_on_hand), {})

	def test_persona_users_get_the_workspaces_with_their_cards_and_charts(self):
		frappe.set_user(self.user_a)
		for name in WORKSPACES:
			with self.subTest(workspace=name):
				ws = frappe.get_doc("Workspace", name)
				page = get_desktop_page(json.dumps({"name": name, "title": name, "public": 1}))
				self.assertEqual(len(page["number_cards"]["items"]), len(ws.number_cards))
				self.assertEqual(len(page["charts"]["items"]), len(ws.charts))
		home = get_desktop_page(json.dumps({"name": "YAM Agri", "title": "YAM Agri", "public": 1}))
		links = {s["link_to"] for s in home["shortcuts"]["items"]}
		self.assertIn("Nonconformance", links)
		self.assertFalse(links & {"Error Log", "User Permission", "RQ Job"}, "admin shortcuts are for admins")
		frappe.set_user("Administrator")
		home = get_desktop_page(json.dumps({"name": "YAM Agri", "title": "YAM Agri", "public": 1}))
		self.assertTrue(
			{"Error Log", "User Permission"} <= {s["link_to"] for s in home["shortcuts"]["items"]}
		)

	def test_a_gateway_user_does_not_see_the_workspaces(self):
		gateway = make_user(["Sensor Gateway"], [self.site_a], "card-gw")
		frappe.set_user(gateway)
		from frappe.desk.desktop import get_workspace_sidebar_items

		names = {p["name"] for p in get_workspace_sidebar_items()["pages"]}
		self.assertFalse(names & set(WORKSPACES))
