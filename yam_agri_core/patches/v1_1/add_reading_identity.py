"""A reading is one per (device, metric, observed_at) — for a device that is not registered, per
(reported device id, site, metric, observed_at) — under unique indexes.

Copies stored before them (a gateway re-sending a batch after a timeout stored every reading twice)
would keep the indexes out and fail the migrate, so they are set aside first: the first stored
reading of each identity stays; every later copy is kept as a Deleted Document (its full record, for
a System Manager to read) and leaves Observation. The patch logs how many it set aside.
"""

import frappe

from yam_agri_core.monitoring.doctype.observation.observation import add_reading_indexes

#: Later copies of one identity, oldest kept (window functions; MariaDB compares as the index does).
COPIES = """
	select `name` from (
		select `name`, row_number() over (
			partition by {identity} order by `creation`, `name`) as `copy`
		from `tabObservation` where {where}) as readings
	where `copy` > 1"""
IDENTITIES = (
	("`device`, `metric`, `observed_at`", "`device` is not null"),
	(
		"`reported_device_id`, `site`, `metric`, `observed_at`",
		"`device` is null and `reported_device_id` is not null",
	),
)


def execute():
	copies = [
		name
		for identity, where in IDENTITIES
		for name in frappe.db.sql(COPIES.format(identity=identity, where=where), pluck=True)
	]
	for start in range(0, len(copies), 500):
		set_aside(copies[start : start + 500])
	if copies:
		print(f"Observation: {len(copies)} copies of readings set aside as Deleted Documents")
	if not add_reading_indexes():
		frappe.throw("Observation still has copies of readings; the unique indexes were not added")


def set_aside(names: list[str]) -> None:
	for row in frappe.get_all("Observation", filters={"name": ("in", names)}, fields=["*"]):
		frappe.get_doc(
			{
				"doctype": "Deleted Document",
				"deleted_doctype": "Observation",
				"deleted_name": row.name,
				"data": frappe.as_json({"doctype": "Observation", **row}),
			}
		).db_insert()
	frappe.db.delete("Observation", {"name": ("in", names)})
