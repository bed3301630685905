"""Role names the rules rely on (the Desk roles of the domain contract)."""

QUALITY_MANAGER = "Quality Manager"
SITE_OPERATOR = "Site Operator"
PLATFORM_OWNER = "Platform Owner"
AUDITOR = "Auditor"
SENSOR_GATEWAY = "Sensor Gateway"
SYSTEM_MANAGER = "System Manager"
ADMINISTRATOR = "Administrator"

#: Roles this app creates (Quality Manager and System Manager come with ERPNext / Frappe).
APP_ROLES = (SITE_OPERATOR, PLATFORM_OWNER, AUDITOR, SENSOR_GATEWAY)

#: One Role Profile per persona of the contract: profile name -> roles.
ROLE_PROFILES: dict[str, tuple[str, ...]] = {
	"YAM Farm Supervisor": (SITE_OPERATOR,),
	"YAM QA Manager": (QUALITY_MANAGER,),
	"YAM Silo Operator": (SITE_OPERATOR,),
	"YAM Platform Owner": (PLATFORM_OWNER,),
	"YAM IT Admin": (SYSTEM_MANAGER,),
	"YAM Auditor": (AUDITOR,),
	"YAM Sensor Gateway": (SENSOR_GATEWAY,),
}
