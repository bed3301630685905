app_name = "yam_agri_core"
app_title = "YAM Agri Core"
app_publisher = "YAM Agri"
app_description = "Cereal supply-chain quality and traceability for farms, silos and stores"
app_email = "it@yam-agri.example"
app_license = "mit"

# "org/app", never a bare name: for a bare name Frappe v15's install-app asks GitHub which org owns
# the app (frappe.installer.find_org), which fails on an offline site. "frappe/erpnext" resolves locally.
required_apps = ["frappe/erpnext"]

# Installation
# ------------

after_install = "yam_agri_core.setup.install.after_install"
after_migrate = "yam_agri_core.setup.install.after_migrate"
before_tests = "yam_agri_core.setup.install.before_tests"

# Site isolation (deny by default)
# --------------------------------

permission_query_conditions = {
	"Site": "yam_agri_core.permissions.get_site_query_conditions",
	"Storage Bin": "yam_agri_core.permissions.get_site_query_conditions",
	"Device": "yam_agri_core.permissions.get_site_query_conditions",
	"Lot": "yam_agri_core.permissions.get_site_query_conditions",
	"Scale Ticket": "yam_agri_core.permissions.get_site_query_conditions",
	"Observation": "yam_agri_core.permissions.get_site_query_conditions",
	"Certificate": "yam_agri_core.permissions.get_site_query_conditions",
	"Nonconformance": "yam_agri_core.permissions.get_site_query_conditions",
	"File": "yam_agri_core.permissions.get_file_query_conditions",
}

has_permission = {
	"Site": "yam_agri_core.permissions.has_site_permission",
	"Storage Bin": "yam_agri_core.permissions.has_site_permission",
	"Device": "yam_agri_core.permissions.has_site_permission",
	"Lot": "yam_agri_core.permissions.has_site_permission",
	"Scale Ticket": "yam_agri_core.permissions.has_site_permission",
	"Observation": "yam_agri_core.permissions.has_site_permission",
	"Certificate": "yam_agri_core.permissions.has_site_permission",
	"Nonconformance": "yam_agri_core.permissions.has_site_permission",
}

# Frappe methods that would bypass site isolation
override_whitelisted_methods = {
	"frappe.client.get_count": "yam_agri_core.overrides.get_count",
	"frappe.client.validate_link": "yam_agri_core.overrides.validate_link",
}

# Scheduled tasks
# ---------------

scheduler_events = {}

# Translations
# ------------

# Files in yam_agri_core/translations/<lang>.csv are picked up by Frappe.

# Desk
# ----

app_include_js = []
