"""The services of docker-compose.yaml, in start order (shared by the compose and run.sh tests)."""

SERVICES = (
	"db",
	"redis-cache",
	"redis-queue",
	"create-site",
	"backend",
	"websocket",
	"queue-short",
	"queue-long",
	"scheduler",
	"frontend",
	"mailpit",
	"mosquitto",
	"gateway",
	"mock_iot",
	"mock_scale",
)
