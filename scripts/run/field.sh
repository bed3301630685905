# shellcheck shell=bash
# run.sh part: the field hub (compose profile "field"): broker users of sensors and the gateway's queue.

# the broker's users of sensors (one per device id, or per site code), kept in this checkout
SENSORS_DIR="${YAM_SENSORS_DIR:-$SCRIPT_DIR/docker/mosquitto/sensors}"

sensor_usage() {
	die "$E_USAGE" "sensor needs add DEVICE_ID, remove DEVICE_ID, list or status" \
		"bash run.sh sensor add TMP-SILO1-B1   (password: YAM_SENSOR_PASSWORD, or one is made and printed)"
}

valid_sensor_id() {
	[[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] ||
		die "$E_USAGE" "sensor id '$1' is not a device id (letters, digits, . _ -)" "bash run.sh sensor add TMP-SILO1-B1"
}

# mosquitto_passwd in a throwaway broker container; the password travels in the environment, never in argv
sensor_passwd() {
	check_docker
	mkdir -p "$SENSORS_DIR"
	(umask 077 && touch "$SENSORS_DIR/passwd")
	dc run --rm --no-deps -T -e YAM_SENSOR_PASSWORD -v "$SENSORS_DIR:/w" --entrypoint sh mosquitto \
		-c "$1" sh "${@:2}" </dev/null
}

cmd_sensor() {
	[[ $# -ge 1 ]] || sensor_usage
	local action="$1"
	shift
	case "$action" in
	add) sensor_add "$@" ;;
	remove) sensor_remove "$@" ;;
	list) sensor_list "$@" ;;
	status) sensor_status "$@" ;;
	*) sensor_usage ;;
	esac
}

sensor_add() {
	[[ $# -eq 1 ]] || sensor_usage
	valid_sensor_id "$1"
	local made=""
	if [[ -z "${YAM_SENSOR_PASSWORD:-}" ]]; then
		YAM_SENSOR_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
		made=1
	fi
	export YAM_SENSOR_PASSWORD
	# shellcheck disable=SC2016 # expanded by the container's sh, not here
	sensor_passwd 'mosquitto_passwd -b /w/passwd "$1" "$YAM_SENSOR_PASSWORD"' "$1" ||
		die "$E_FAIL" "could not add the broker user $1" "bash run.sh logs mosquitto"
	dc restart mosquitto >/dev/null 2>&1 || warn "restart mosquitto to load the new user: docker compose restart mosquitto"
	info "broker user $1 added; the gateway reconnects by itself"
	[[ -z "$made" ]] || printf 'sensor %s password (shown once; set it on the sensor): %s\n' "$1" "$YAM_SENSOR_PASSWORD"
	info "register the device on the server too: Desk > Device > New, Device ID $1"
}

sensor_remove() {
	[[ $# -eq 1 ]] || sensor_usage
	valid_sensor_id "$1"
	if [[ ! -f "$SENSORS_DIR/passwd" ]] || ! grep -q "^$1:" "$SENSORS_DIR/passwd"; then
		die "$E_USAGE" "no broker user $1" "bash run.sh sensor list"
	fi
	# shellcheck disable=SC2016 # expanded by the container's sh, not here
	sensor_passwd 'mosquitto_passwd -D /w/passwd "$1"' "$1" ||
		die "$E_FAIL" "could not remove the broker user $1" "bash run.sh logs mosquitto"
	dc restart mosquitto >/dev/null 2>&1 || warn "restart mosquitto to drop the user: docker compose restart mosquitto"
	info "broker user $1 removed"
}

sensor_list() {
	[[ -f "$SENSORS_DIR/passwd" ]] || {
		info "no sensor has a broker user yet: bash run.sh sensor add DEVICE_ID"
		return 0
	}
	cut -d: -f1 "$SENSORS_DIR/passwd" | sort
}

sensor_status() {
	check_docker
	dc exec -T gateway yam-gateway status </dev/null ||
		die "$E_FAIL" "the gateway did not answer" "bash run.sh logs gateway   (profile field: COMPOSE_PROFILES=field)"
}
