from yam_agri_core.rules.sites import ISOLATED_DOCTYPES as _ISOLATED_DOCTYPES

app_name = "yam_agri_core"
app_title = "YAM Agri Core"
app_publisher = "YAM Agri"
app_description = "Cereal supply-chain quality and traceability for farms, silos and stores"
app_email = "it@yam-agri.example"
app_license = "mit"

# "org/app", never a bare name: for a bare name Frappe v15's install-app asks GitHub which org owns
# the app (frappe.installer.find_org), which fails on an offline site. "frappe/erpnext" resolves locally.
required_apps = ["frappe/erpnext"]

# Controllers carry the field types Frappe generates from each DocType (developer mode keeps them current)
export_python_type_annotations = True

# Installation
# ------------

after_install = "yam_agri_core.setup.install.after_install"
after_migrate = "yam_agri_core.setup.install.after_migrate"
before_tests = "yam_agri_core.setup.install.before_tests"

# Site isolation (deny by default)
# --------------------------------

permission_query_conditions = {
	**{doctype: "yam_agri_core.permissions.get_site_query_conditions" for doctype in _ISOLATED_DOCTYPES},
	"File": "yam_agri_core.permissions.get_file_query_conditions",
}

has_permission = {doctype: "yam_agri_core.permissions.has_site_permission" for doctype in _ISOLATED_DOCTYPES}

# Frappe methods that would bypass site isolation
override_whitelisted_methods = {
	"frappe.client.get_count": "yam_agri_core.overrides.get_count",
	"frappe.client.validate_link": "yam_agri_core.overrides.validate_link",
	# "PDF in background": a record that fails to print fails the file (never an empty PDF)
	"frappe.utils.print_format.download_multi_pdf_async": "yam_agri_core.print_pdf.download_multi_pdf_async",
}

# PDFs: the page's URLs point at a host wkhtmltopdf reaches when the site's name resolves nowhere
on_print_pdf = ["yam_agri_core.print_pdf.use_reachable_host"]

# Scheduled tasks
# ---------------

scheduler_events = {
	"daily": [
		"yam_agri_core.alerts.jobs.update_certificate_statuses_and_alert",
		"yam_agri_core.alerts.jobs.send_calibration_due_alerts",
		"yam_agri_core.monitoring.rollups.repair_recent",
		"yam_agri_core.monitoring.archive.archive_job",
	],
	"cron": {
		"*/5 * * * *": [
			"yam_agri_core.alerts.jobs.send_quarantine_alerts",
			"yam_agri_core.alerts.jobs.send_silent_sensor_alerts",
		],
	},
}

# Translations
# ------------

# Files in yam_agri_core/translations/<lang>.csv are picked up by Frappe.

# Desk
# ----

# what the Script Reports share (public/js/yam_reports.js, served as is: no bundle to build)
app_include_js = [
	"/assets/yam_agri_core/js/yam_reports.js",
	"/assets/yam_agri_core/js/yam_widgets.js",
	# Desk's Log out warns of captures the field page (/field) has not sent from this device
	"/assets/yam_agri_core/field/desk_outbox.js",
]
# Arabic Desk: values that read left to right (2026-Spring, 43.74 °C, file paths) keep their order
app_include_css = ["/assets/yam_agri_core/css/yam_rtl.css"]

# Print formats: the data helpers their Jinja templates call
jinja = {
	"methods": [
		"yam_agri_core.printing.yam_bidi",
		"yam_agri_core.printing.yam_ticket_slip",
		"yam_agri_core.printing.yam_lot_quality",
		"yam_agri_core.printing.yam_lot_trace",
		"yam_agri_core.printing.yam_capa_report",
	],
}

# Evidence packs: the files of a Sent pack are never changed or deleted
doc_events = {
	"File": {
		"validate": "yam_agri_core.quality.doctype.evidence_pack.evidence_pack.protect_sent_pack_files",
		"on_trash": "yam_agri_core.quality.doctype.evidence_pack.evidence_pack.protect_sent_pack_files",
	},
	# Desk's front door: a YAM user lands on YAM Agri with its persona's module profile; a user saved with
	# neither a role nor a role profile is warned
	"User": {
		"before_validate": "yam_agri_core.setup.front_door.set_front_door",
		"validate": "yam_agri_core.setup.front_door.warn_without_role",
	},
	# a site's / crop's English name translates to its Arabic name wherever Desk shows it
	"Site": {"on_update": "yam_agri_core.setup.arabic_names.keep_arabic_name"},
	"Crop": {"on_update": "yam_agri_core.setup.arabic_names.keep_arabic_name"},
}

# Link search of translated DocTypes in English and in the reader's language (runbook names in Arabic Desk)
standard_queries = {
	doctype: "yam_agri_core.setup.arabic_names.search_both_languages"
	for doctype in ("DocType", "Role", "Role Profile", "Site", "Crop")
}

# Evidence exports on the Lot form (trace sheet, EPCIS), without touching lot.js
# and the weighing notes of its timeline in the reader's language
doctype_js = {"Lot": ["public/js/lot_evidence.js", "public/js/lot_timeline.js"]}

# The field page (/field): its service worker and manifest are served under /field (scope of the page)
page_renderer = ["yam_agri_core.field.page.FieldFileRenderer"]
