"""REST calls of the browser suite: the numbers a page should show, asked as the persona or as Administrator.

The expected values come from Frappe's own generic endpoints (``frappe.client.get_count``,
``frappe.client.get_list``, ``frappe.desk.query_report.run``), never from the code behind a card.
"""

from __future__ import annotations

import json

import requests


class RestError(Exception):
	def __init__(self, status: int, text: str):
		super().__init__(f"HTTP {status}: {text[:300]}")
		self.status = status


class Rest:
	"""A logged-in REST session of one user."""

	def __init__(self, base_url: str, user: str, password: str):
		self.base_url = base_url.rstrip("/")
		self.user = user
		self.session = requests.Session()
		answer = self.session.post(f"{self.base_url}/api/method/login", data={"usr": user, "pwd": password})
		if answer.status_code != 200:
			raise RestError(answer.status_code, f"login of {user} failed: {answer.text}")

	def call(self, method: str, **args):
		params = {key: value if isinstance(value, str) else json.dumps(value) for key, value in args.items()}
		answer = self.session.get(f"{self.base_url}/api/method/{method}", params=params, timeout=120)
		if answer.status_code != 200:
			raise RestError(answer.status_code, answer.text)
		return answer.json().get("message")

	def get(self, path: str, **params) -> requests.Response:
		return self.session.get(f"{self.base_url}{path}", params=params, timeout=180)

	def count(self, doctype: str, filters: list) -> int:
		return int(self.call("frappe.client.get_count", doctype=doctype, filters=filters) or 0)

	def values(self, doctype: str, fieldname: str, filters: list) -> list:
		rows = self.call(
			"frappe.client.get_list",
			doctype=doctype,
			fields=[fieldname],
			filters=filters,
			limit_page_length=0,
		)
		return [row.get(fieldname) for row in rows or []]

	def names(
		self, doctype: str, filters: list | None = None, limit: int = 1, order_by: str = "modified desc"
	):
		rows = self.call(
			"frappe.client.get_list",
			doctype=doctype,
			fields=["name"],
			filters=filters or [],
			order_by=order_by,
			limit_page_length=limit,
		)
		return [row["name"] for row in rows or []]

	def run_report(self, report: str, filters: dict) -> dict:
		return self.call("frappe.desk.query_report.run", report_name=report, filters=filters) or {}

	def set_language(self, user: str, lang: str) -> None:
		answer = self.session.put(
			f"{self.base_url}/api/resource/User/{user}", json={"language": lang}, timeout=60
		)
		if answer.status_code != 200:
			raise RestError(answer.status_code, answer.text)

	def user_info(self, user: str) -> tuple[set[str], list[str], str]:
		"""(roles, granted sites, language) of a user, read as Administrator."""
		doc = self.call("frappe.client.get", doctype="User", name=user)
		roles = {row["role"] for row in doc.get("roles") or []}
		sites = self.call(
			"frappe.client.get_list",
			doctype="User Permission",
			fields=["for_value"],
			filters={"user": user, "allow": "Site"},
			limit_page_length=0,
		)
		return roles, sorted(row["for_value"] for row in sites or []), doc.get("language") or "en"
