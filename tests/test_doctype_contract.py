"""The DocType JSON files against the domain contract (shared/domain.md) and against Frappe's rules
for a loadable DocType, read as data: no Frappe needed."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from doctype_meta import APP, DOCTYPES, FRAMEWORK_DOCTYPES, MODULES, ROOT, fields_of, options, perm

import yam_agri_core.hooks as hooks

# --- the contract --------------------------------------------------------------------------------

CONTRACT = {
	"Site": {
		"autoname": "field:site_code",
		"fields": {
			"site_code": "Data",
			"site_name": "Data",
			"site_name_ar": "Data",
			"site_type": ("Select", ["Farm", "Silo", "Warehouse", "Store", "Office"]),
			"governorate": "Select",
			"company": ("Link", "Company"),
			"warehouse": ("Link", "Warehouse"),
			"location": "Geolocation",
			"is_active": "Check",
			"scale_tolerance_pct": "Float",
		},
	},
	"Crop": {
		"autoname": "field:crop_name",
		"fields": {"crop_name": "Data", "crop_name_ar": "Data", "max_storage_moisture_pct": "Float"},
	},
	"Storage Bin": {
		"fields": {
			"bin_code": "Data",
			"site": ("Link", "Site"),
			"bin_type": ("Select", ["Silo", "Flat Store", "Refrigerator", "Other"]),
			"capacity_kg": "Float",
			"status": ("Select", ["Empty", "In Use", "Maintenance"]),
			"current_lot": ("Link", "Lot"),
		},
	},
	"Device": {
		"autoname": "field:device_id",
		"fields": {
			"device_id": "Data",
			"device_type": (
				"Select",
				["Temperature Sensor", "Humidity Sensor", "Moisture Sensor", "CO2 Sensor", "Scale", "Other"],
			),
			"site": ("Link", "Site"),
			"storage_bin": ("Link", "Storage Bin"),
			"is_active": "Check",
			"last_calibration_date": "Date",
			"calibration_due_date": "Date",
			"last_seen_at": "Datetime",
			"stale_after_minutes": "Int",
		},
	},
	"Lot": {
		"series": "LOT-.YYYY.-.#####",
		"fields": {
			"lot_type": ("Select", ["Harvest", "Storage", "Shipment", "Processing"]),
			"status": ("Select", ["Draft", "Received", "In Storage", "Released", "Shipped", "Rejected"]),
			"site": ("Link", "Site"),
			"storage_bin": ("Link", "Storage Bin"),
			"crop": ("Link", "Crop"),
			"variety": "Data",
			"season": "Data",
			"declared_qty_kg": "Float",
			"available_qty_kg": "Float",
			"harvest_date": "Date",
			"receipt_date": "Date",
			"supplier": ("Link", "Supplier"),
			"notes": "Small Text",
		},
	},
	"Scale Ticket": {
		"series": "SCL-.YYYY.-.#####",
		"fields": {
			"ticket_no": "Data",
			"site": ("Link", "Site"),
			"device": ("Link", "Device"),
			"lot": ("Link", "Lot"),
			"ticket_datetime": "Datetime",
			"direction": ("Select", ["Inbound", "Outbound"]),
			"vehicle": "Data",
			"driver": "Data",
			"gross_kg": "Float",
			"tare_kg": "Float",
			"net_kg": "Float",
			"expected_net_kg": "Float",
			"tolerance_pct": "Float",
			"deviation_pct": "Float",
			"mismatch_flag": "Check",
			"nonconformance": ("Link", "Nonconformance"),
			"import_batch": "Data",
		},
	},
	"Observation": {
		"fields": {
			"device": ("Link", "Device"),
			"site": ("Link", "Site"),
			"storage_bin": ("Link", "Storage Bin"),
			"lot": ("Link", "Lot"),
			"observed_at": "Datetime",
			"metric": ("Select", ["Temperature", "Humidity", "Grain Moisture", "CO2", "Other"]),
			"value": "Float",
			"unit": "Data",
			"quality_flag": ("Select", ["Valid", "Warning", "Quarantine"]),
			"flag_reason": "Small Text",
			"alert_sent": "Check",
			"raw_payload": "Code",
		},
	},
	"Certificate": {
		"series": "CERT-.YYYY.-.#####",
		"fields": {
			"cert_type": (
				"Select",
				["FAO GAP", "HACCP", "ISO 22000", "Phytosanitary", "Export", "Organic", "Other"],
			),
			"certificate_no": "Data",
			"issuing_body": "Data",
			"site": ("Link", "Site"),
			"lot": ("Link", "Lot"),
			"supplier": ("Link", "Supplier"),
			"issue_date": "Date",
			"expiry_date": "Date",
			"status": ("Select", ["Active", "Expiring Soon", "Expired", "Revoked"]),
			"revocation_reason": "Small Text",
			"attachment": "Attach",
		},
	},
	"Nonconformance": {
		"series": "NC-.YYYY.-.#####",
		"fields": {
			"nc_type": (
				"Select",
				[
					"Weight Mismatch",
					"Test Failure",
					"Sensor Alert",
					"Certificate Issue",
					"Customer Complaint",
					"Security Incident",
					"Other",
				],
			),
			"severity": ("Select", ["Critical", "Major", "Minor"]),
			"status": (
				"Select",
				["Open", "Under Investigation", "Corrective Action", "Verification", "Closed"],
			),
			"site": ("Link", "Site"),
			"lot": ("Link", "Lot"),
			"scale_ticket": ("Link", "Scale Ticket"),
			"observation": ("Link", "Observation"),
			"certificate": ("Link", "Certificate"),
			"description": "Text Editor",
			"root_cause": "Small Text",
			"corrective_action": "Small Text",
			"preventive_action": "Small Text",
			"assigned_to": ("Link", "User"),
			"due_date": "Date",
			"verification_result": "Select",
			"closed_on": "Datetime",
			"closed_by": ("Link", "User"),
		},
	},
}
SITE_BEARING = [name for name, spec in CONTRACT.items() if "site" in spec["fields"]]
BUSINESS_RECORDS = [n for n in CONTRACT if n != "Observation"]


def test_every_contract_doctype_exists():
	assert set(CONTRACT) <= set(DOCTYPES)


@pytest.mark.parametrize("doctype", sorted(CONTRACT))
def test_contract_fields(doctype):
	fields = fields_of(doctype)
	for fieldname, spec in CONTRACT[doctype]["fields"].items():
		assert fieldname in fields, f"{doctype}.{fieldname} missing"
		fieldtype, target = (spec, None) if isinstance(spec, str) else spec
		assert fields[fieldname]["fieldtype"] == fieldtype, f"{doctype}.{fieldname}"
		if fieldtype == "Link":
			assert fields[fieldname]["options"] == target, f"{doctype}.{fieldname} links {target}"
		elif fieldtype == "Select" and target:
			assert options(fields[fieldname]) == target, f"{doctype}.{fieldname} options"


@pytest.mark.parametrize("doctype", sorted(CONTRACT))
def test_contract_naming(doctype):
	spec, meta = CONTRACT[doctype], DOCTYPES[doctype]
	if "autoname" in spec:
		assert meta["autoname"] == spec["autoname"]
	if "series" in spec:
		series = fields_of(doctype)["naming_series"]
		assert meta["autoname"] == "naming_series:"
		assert series["default"] == spec["series"] and options(series) == [spec["series"]]


def test_observation_names_never_contend():
	assert DOCTYPES["Observation"]["autoname"] in ("hash", "autoincrement", "uuid")


def test_storage_bin_codes_are_unique_within_a_site():
	assert DOCTYPES["Storage Bin"]["autoname"] == "format:{site}-{bin_code}"


def test_scale_ticket_is_submittable_and_amendable():
	meta = DOCTYPES["Scale Ticket"]
	assert meta["is_submittable"] == 1
	amended = fields_of("Scale Ticket")["amended_from"]
	assert amended["options"] == "Scale Ticket" and amended["no_copy"] == 1


@pytest.mark.parametrize("doctype", SITE_BEARING)
def test_site_is_mandatory_and_indexed(doctype):
	site = fields_of(doctype)["site"]
	assert site["reqd"] == 1 and site["search_index"] == 1 and site["in_standard_filter"] == 1


@pytest.mark.parametrize(
	"doctype, fieldname",
	[
		("Lot", "status"),
		("Observation", "quality_flag"),
		("Observation", "observed_at"),
		("Certificate", "expiry_date"),
		("Certificate", "status"),
		("Nonconformance", "status"),
		("Nonconformance", "severity"),
		("Device", "last_seen_at"),
		("Device", "calibration_due_date"),
		("Scale Ticket", "mismatch_flag"),
	],
)
def test_filtered_fields_are_indexed(doctype, fieldname):
	assert fields_of(doctype)[fieldname].get("search_index") == 1


def test_track_changes_on_business_records_only():
	for doctype in BUSINESS_RECORDS:
		assert DOCTYPES[doctype].get("track_changes") == 1, doctype
	assert not DOCTYPES["Observation"].get("track_changes")


def test_defaults_of_the_contract():
	assert fields_of("Site")["is_active"]["default"] == "1"
	assert float(fields_of("Crop")["max_storage_moisture_pct"]["default"]) == 14
	assert fields_of("Lot")["status"]["default"] == "Draft"


@pytest.mark.parametrize("doctype", sorted(CONTRACT))
def test_desk_usability(doctype):
	meta = DOCTYPES[doctype]
	fields = fields_of(doctype)
	assert any(f.get("in_list_view") for f in fields.values()), "list view columns"
	assert any(f.get("in_standard_filter") for f in fields.values()) or doctype == "Crop", "standard filters"
	for fieldname in (meta.get("search_fields") or "").split(","):
		assert not fieldname or fieldname.strip() in fields, f"search field {fieldname}"
	if meta.get("title_field"):
		assert meta["title_field"] in fields
	sort_field = meta.get("sort_field")
	assert sort_field in fields or sort_field in ("name", "creation", "modified")


# --- loadable DocTypes -----------------------------------------------------------------------------


@pytest.mark.parametrize("doctype", sorted(DOCTYPES))
def test_doctype_json_is_well_formed(doctype):
	meta = DOCTYPES[doctype]
	path: Path = meta["_path"]
	assert meta["module"] in MODULES
	assert path.parent.parent.parent.name == meta["module"].lower().replace(" ", "_")
	assert path.parent.name == doctype.lower().replace(" ", "_")
	names = [f["fieldname"] for f in meta["fields"]]
	assert len(names) == len(set(names)), "duplicate fieldnames"
	assert meta["field_order"] == names
	for field in meta["fields"]:
		assert re.fullmatch(r"[a-z][a-z0-9_]*", field["fieldname"])
		if field["fieldtype"] == "Select" and field["fieldname"] != "naming_series":
			assert options(field), f"{field['fieldname']} has no options"
			default = field.get("default")
			assert default is None or default in options(field), f"{field['fieldname']} default"


@pytest.mark.parametrize("doctype", sorted(DOCTYPES))
def test_links_resolve(doctype):
	for field in DOCTYPES[doctype]["fields"]:
		if field["fieldtype"] in ("Link", "Table", "Table MultiSelect"):
			target = field["options"]
			assert target in DOCTYPES or target in FRAMEWORK_DOCTYPES, (
				f"{doctype}.{field['fieldname']} -> {target}"
			)
		if field["fieldtype"] == "Table":
			assert DOCTYPES[field["options"]].get("istable") == 1


@pytest.mark.parametrize("doctype", sorted(DOCTYPES))
def test_controller_class_exists(doctype):
	path: Path = DOCTYPES[doctype]["_path"]
	source = path.with_suffix(".py")
	classes = {n.name for n in ast.parse(source.read_text()).body if isinstance(n, ast.ClassDef)}
	assert doctype.replace(" ", "") in classes


KNOWN_ROLES = {
	"System Manager",
	"Quality Manager",
	"Site Operator",
	"Platform Owner",
	"Auditor",
	"Sensor Gateway",
}


@pytest.mark.parametrize("doctype", sorted(DOCTYPES))
def test_permissions_name_known_roles(doctype):
	for row in DOCTYPES[doctype]["permissions"]:
		assert row["role"] in KNOWN_ROLES


@pytest.mark.parametrize("doctype", sorted(CONTRACT))
def test_auditor_only_reads(doctype):
	auditor = perm(doctype, "Auditor")
	assert auditor.get("read") == 1
	for right in ("write", "create", "delete", "submit", "cancel", "amend", "import"):
		assert not auditor.get(right), f"Auditor may {right} {doctype}"


def test_readings_are_never_rewritten_or_deleted_by_anyone():
	for p in DOCTYPES["Observation"]["permissions"]:
		assert not p.get("write") and not p.get("delete"), p["role"]


def test_gateway_writes_readings_and_tickets():
	assert perm("Observation", "Sensor Gateway").get("create") == 1
	assert perm("Scale Ticket", "Sensor Gateway").get("submit") == 1


def test_operator_cannot_cancel_tickets():
	assert not perm("Scale Ticket", "Site Operator").get("cancel")


# --- hooks -----------------------------------------------------------------------------------------


def dotted_paths(value) -> list[str]:
	if isinstance(value, str):
		return [value] if re.fullmatch(r"yam_agri_core(\.\w+)+", value) else []
	if isinstance(value, dict):
		return [p for v in value.values() for p in dotted_paths(v)]
	if isinstance(value, list | tuple):
		return [p for v in value for p in dotted_paths(v)]
	return []


HOOK_PATHS = sorted(
	{p for name in dir(hooks) if not name.startswith("_") for p in dotted_paths(getattr(hooks, name))}
)


def test_every_kind_of_hook_is_among_the_checked_paths():
	"""The path extraction reaches into every hook's shape (string, dict, list, dict of lists), so the
	parametrized check below covers every wired function, not just some."""
	wired = {
		"after_install": [hooks.after_install],
		"scheduler_events": dotted_paths(hooks.scheduler_events),
		"permission_query_conditions": dotted_paths(hooks.permission_query_conditions),
		"has_permission": dotted_paths(hooks.has_permission),
		"override_whitelisted_methods": dotted_paths(hooks.override_whitelisted_methods),
	}
	for name, paths in wired.items():
		assert paths and set(paths) <= set(HOOK_PATHS), name


@pytest.mark.parametrize("dotted", HOOK_PATHS)
def test_hook_points_at_a_function_defined_in_the_repo(dotted):
	module, _, function = dotted.rpartition(".")
	path = ROOT / (module.replace(".", "/") + ".py")
	assert path.exists(), f"{module} has no file"
	tree = ast.parse(path.read_text())
	defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
	assert function in defined, f"{function} is not defined in {path.relative_to(ROOT)}"


def test_desk_script_hooks_name_files_the_app_ships():
	"""``doctype_js`` paths are relative to the app's package; ``app_include_js`` asset URLs
	(``/assets/yam_agri_core/…``) are files under ``public/``."""
	for doctype, scripts in getattr(hooks, "doctype_js", {}).items():
		for script in [scripts] if isinstance(scripts, str) else scripts:
			assert (ROOT / "yam_agri_core" / script).is_file(), doctype
	for url in getattr(hooks, "app_include_js", []):
		assert url.startswith("/assets/yam_agri_core/"), url
		assert (ROOT / "yam_agri_core" / "public" / url.removeprefix("/assets/yam_agri_core/")).is_file(), url


def test_site_isolation_hooks_cover_every_site_bearing_doctype():
	for doctype in [*SITE_BEARING, "Site"]:
		assert doctype in hooks.permission_query_conditions
		assert doctype in hooks.has_permission


def test_required_apps_resolve_without_network():
	# install-app resolves a bare app name by asking GitHub for its org; "org/app" needs no lookup.
	assert any(app.endswith("/erpnext") for app in hooks.required_apps)
	for app in hooks.required_apps:
		assert re.fullmatch(r"[a-z0-9_-]+/[a-z0-9_]+", app)


def test_whitelisted_methods_are_typed():
	for path in APP.rglob("*.py"):
		tree = ast.parse(path.read_text())
		for node in ast.walk(tree):
			if isinstance(node, ast.FunctionDef) and any(
				"whitelist" in ast.unparse(d) for d in node.decorator_list
			):
				for arg in node.args.args:
					assert arg.annotation is not None, f"{path.name}:{node.name}({arg.arg}) untyped"


#: Fields Frappe's type exporter gives no annotation (no value, or no DF type: Geolocation)
UNTYPED_FIELDTYPES = {
	"Section Break",
	"Column Break",
	"Tab Break",
	"HTML",
	"Button",
	"Heading",
	"Fold",
	"Image",
	"Geolocation",
}


def annotated_fields(controller: Path) -> set[str]:
	"""Names annotated in the controller class's auto-generated ``if TYPE_CHECKING:`` block."""
	tree = ast.parse(controller.read_text())
	names = set()
	for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
		for node in cls.body:
			if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
				names |= {n.target.id for n in node.body if isinstance(n, ast.AnnAssign)}
	return names


def test_hooks_ask_for_generated_field_types():
	assert hooks.export_python_type_annotations is True


@pytest.mark.parametrize("doctype", sorted(DOCTYPES))
def test_controllers_carry_the_field_types_of_their_doctype(doctype):
	meta = DOCTYPES[doctype]
	controller = meta["_path"].with_suffix(".py")
	assert "# begin: auto-generated types" in controller.read_text(), controller.name
	fields = {f["fieldname"] for f in meta["fields"] if f["fieldtype"] not in UNTYPED_FIELDTYPES}
	missing = fields - annotated_fields(controller)
	assert not missing, f"regenerate the types of {doctype} (developer mode, save the DocType): {missing}"
