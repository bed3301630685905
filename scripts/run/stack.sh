# shellcheck shell=bash
# run.sh part: the docker compose stack: up, down, build, logs, shell, status (and the site ping).

app_image() { printf '%s:%s' "${YAM_IMAGE:-yam-agri-core}" "${YAM_IMAGE_TAG:-v15.96.1-1}"; }

cmd_up() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "up takes no arguments (got: $*)" "bash run.sh up"
	check_docker
	check_up_settings
	if ! docker image inspect "$(app_image)" >/dev/null 2>&1; then
		info "app image $(app_image) not found: building it (needs internet; offline: bash run.sh offline-load)"
		dc build || die "$E_FAIL" "building the app image failed" \
			"check the internet connection, or load images without internet: bash run.sh offline-load FILE"
	fi
	# create-site migrates an existing site as the stack starts: back it up first (ops-dr's backup.sh)
	if declare -F take_predeploy_backup >/dev/null; then
		take_predeploy_backup || die "$E_BACKUP" "the pre-deployment backup failed: nothing was started or migrated" \
			"read the newest backups/FAILED_*/backup.log" \
			"fix it and run bash run.sh up again (or, knowingly: YAM_SKIP_PREDEPLOY_BACKUP=1 bash run.sh up)"
	fi
	if ((${FIRST_START:-0})); then
		info "starting the stack (first start: creating the site takes several minutes)"
	else
		info "starting the stack (create-site migrates the site first)"
	fi
	if ! dc up -d --remove-orphans; then
		local state
		state="$(site_job_state)"
		if [[ "$state" == exited* && "$state" != "exited 0" ]]; then
			dc logs --tail 40 create-site >&2 || true
			die "$E_FAIL" "create-site failed (exit ${state#exited }): the site was not created or migrated" \
				"read the log above: bash run.sh logs create-site" "see docs/TROUBLESHOOTING.md, 'create-site failed'"
		fi
		die "$E_FAIL" "docker compose up failed" "bash run.sh logs" "see docs/TROUBLESHOOTING.md"
	fi
	wait_for_site
}

# weak_secret NAME: why the password in variable NAME must not be used ("" when it is fine)
weak_secret() {
	local value="${!1:-}" min="${YAM_MIN_PASSWORD_LENGTH:-12}"
	if [[ -z "$value" ]]; then
		printf '%s is not set' "$1"
	elif [[ "$value" == change-me* ]]; then
		printf '%s is still the example value from .env.example' "$1"
	elif ((${#value} < min)); then
		printf '%s is shorter than %s characters' "$1" "$min"
	fi
}

has_profile() { [[ ",${COMPOSE_PROFILES:-}," == *",$1,"* ]]; }

# check_up_settings: refuse to start with example or short passwords, or with a profile whose services would
# restart in a loop for want of their keys (a fresh install must come up healthy)
check_up_settings() {
	local names=(DB_ROOT_PASSWORD ADMIN_PASSWORD) name why weak=() fixes=()
	if has_profile field || has_profile dev; then names+=(MQTT_GATEWAY_PASSWORD); fi
	if has_profile dev; then names+=(MQTT_SIMULATOR_PASSWORD); fi
	if has_profile monitoring; then names+=(GRAFANA_ADMIN_PASSWORD); fi
	for name in "${names[@]}"; do
		why="$(weak_secret "$name")"
		[[ -n "$why" ]] || continue
		if [[ "${YAM_ALLOW_WEAK_PASSWORDS:-0}" == "1" && -n "${!name:-}" ]]; then
			warn "$why (allowed by YAM_ALLOW_WEAK_PASSWORDS=1)"
		else
			weak+=("$why")
		fi
	done
	((${#weak[@]} == 0)) || die "$E_PREREQ" "refusing to start: $(printf '%s; ' "${weak[@]}")" \
		"set each in $ENV_FILE to a new password of 12 characters or more, e.g. the output of: openssl rand -hex 16" \
		"DB_ROOT_PASSWORD of an existing database: change it in MariaDB first (docs/TROUBLESHOOTING.md, 'refusing to start')"
	if has_profile field || has_profile dev; then
		[[ -n "${GATEWAY_API_KEY:-}" && -n "${GATEWAY_API_SECRET:-}" ]] ||
			fixes+=("the gateway needs GATEWAY_API_KEY and GATEWAY_API_SECRET")
	fi
	if has_profile dev && [[ -z "${SIMULATOR_ADMIN_PASSWORD:-}" ]]; then
		[[ -n "${IOT_API_KEY:-}" && -n "${IOT_API_SECRET:-}" ]] || fixes+=("mock_iot needs IOT_API_KEY and IOT_API_SECRET")
		[[ -n "${SCALE_API_KEY:-}" && -n "${SCALE_API_SECRET:-}" ]] ||
			fixes+=("mock_scale needs SCALE_API_KEY and SCALE_API_SECRET")
	fi
	((${#fixes[@]} == 0)) || die "$E_PREREQ" "COMPOSE_PROFILES=${COMPOSE_PROFILES} would start services without their keys: $(printf '%s; ' "${fixes[@]}")" \
		"start without the profile first (COMPOSE_PROFILES= in $ENV_FILE), then make the keys: bash run.sh gateway-user EMAIL" \
		"put them in $ENV_FILE (dev laptop: SIMULATOR_ADMIN_PASSWORD instead), set COMPOSE_PROFILES again, bash run.sh up"
}

site_job_state() { # "STATUS EXITCODE" of the create-site container ("" when it has none)
	local id
	id="$(container_of create-site)"
	[[ -n "$id" ]] || return 0
	docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id" 2>/dev/null || true
}

# wait_for_site: create-site done, then frappe.ping through HTTPS, then the services' health settled; says what it
# waits for every 30 s and stops early, with the reason, when a service turns unhealthy or the site's database
# user is refused (YAM_UP_TIMEOUT for create-site, YAM_SITE_TIMEOUT for the rest)
wait_for_site() {
	local timeout="${YAM_UP_TIMEOUT:-1800}" site_timeout="${YAM_SITE_TIMEOUT:-600}" waited=0 state code
	info "waiting for create-site$( ((${FIRST_START:-0})) && echo " (first start: creating the site takes several minutes)")"
	while :; do
		state="$(site_job_state)"
		case "$state" in
		"exited 0") break ;;
		exited*)
			code="${state#exited }"
			dc logs --tail 40 create-site >&2 || true
			die "$E_FAIL" "create-site failed (exit $code): the site was not created or migrated" \
				"read the log above: bash run.sh logs create-site" "fix, then: bash run.sh up"
			;;
		esac
		((waited < timeout)) || die "$E_FAIL" "create-site still running after ${timeout}s" "bash run.sh logs create-site"
		sleep 5
		waited=$((waited + 5))
		((waited % 30)) || info "  ... create-site still running (${waited}s; bash run.sh logs create-site shows what it does)"
	done
	info "waiting for the site to answer on $(web_url)"
	waited=0
	while ! ping_http >/dev/null 2>&1; do
		site_blocker
		((waited < site_timeout)) || die "$E_UNHEALTHY" "the site does not answer after ${site_timeout}s" "bash run.sh status" \
			"bash run.sh logs frontend" "bash run.sh logs backend"
		sleep 5
		waited=$((waited + 5))
		((waited % 30)) || info "  ... no answer yet (${waited}s): $(health_summary)"
	done
	wait_for_health
	info "YAM Agri is up: $(web_url) (user Administrator; http://$(web_host):${HTTP_PORT:-8000} redirects there)"
}

# site_blocker: die now, with the reason, when waiting longer cannot help: the site's database user is refused
# (1045, e.g. bound to another container's address) or the backend or a worker is unhealthy
site_blocker() {
	local svc
	if dc logs --tail 60 backend 2>/dev/null | grep -q "Access denied for user"; then
		die "$E_UNHEALTHY" "the backend's database user is refused by MariaDB (1045 Access denied)" \
			"restore the site again, which grants its user for every container: bash run.sh restore --yes" \
			"see docs/TROUBLESHOOTING.md, 'Access denied'"
	fi
	local summary
	summary="$(health_summary)"
	for svc in backend queue-short queue-long scheduler; do
		[[ ",$summary," == *",$svc unhealthy,"* ]] || continue
		dc logs --tail 20 "$svc" >&2 || true
		die "$E_UNHEALTHY" "$svc is unhealthy (its last log lines are above)" "bash run.sh status" "bash run.sh logs $svc"
	done
}

health_summary() { # "svc health, ..." of the long-running services that are not healthy yet (one compose ps)
	local svc state health out=()
	while read -r svc state health; do
		[[ -n "$svc" && "$ONE_SHOT_SERVICES" != *" $svc "* ]] || continue
		[[ "$state" == running ]] || health="$state"
		[[ "${health:-none}" == healthy || "${health:-none}" == none ]] || out+=("$svc $health")
	done < <(dc ps -a --format '{{.Service}} {{.State}} {{.Health}}' 2>/dev/null || true)
	((${#out[@]})) && printf '%s' "$(IFS=,; echo "${out[*]}")" || printf 'every service healthy'
}

# wait_for_health: up to YAM_HEALTH_WAIT seconds (default 180) for every health status to leave "starting",
# so `status` agrees with `up` right away; an unhealthy service stops it with the reason
wait_for_health() {
	local limit="${YAM_HEALTH_WAIT:-180}" waited=0 summary
	while :; do
		site_blocker # (it dies on an unhealthy service)
		summary="$(health_summary)"
		[[ "$summary" == "every service healthy" || "$summary" != *starting* ]] && break
		if ((waited >= limit)); then
			warn "still starting after ${limit}s: $summary (bash run.sh status)"
			break
		fi
		((waited % 30)) || info "  ... waiting for the health checks: $summary"
		sleep 5
		waited=$((waited + 5))
	done
}

# web_host: where this machine reaches the published web ports: the address in HTTP_BIND when they are bound to
# one (a LAN address, or 127.0.0.1), this machine's loopback when they listen on every interface
web_host() {
	local bind="${HTTP_BIND:-0.0.0.0}"
	bind="${bind#[}"
	bind="${bind%]}"
	case "$bind" in
	0.0.0.0 | "::") printf '127.0.0.1' ;;
	*:*) printf '[%s]' "$bind" ;;
	*) printf '%s' "$bind" ;;
	esac
}

web_url() { printf 'https://%s:%s' "$(web_host)" "${HTTPS_PORT:-8443}"; }

ping_http() { # GET frappe.ping through the published HTTPS port (YAM_URL overrides: local-bench mode)
	local url="${YAM_URL:-$(web_url)}" body tls=()
	command -v curl >/dev/null 2>&1 || return 3
	# the certificate may be self-signed (made at first start): this checks that the site answers, not who it is
	[[ "$url" != https:* || "${YAM_TLS_VERIFY:-0}" == "1" ]] || tls=(--insecure)
	body="$(curl -fsS "${tls[@]}" --max-time 10 -H "X-Frappe-Site-Name: $(site_name)" "$url/api/method/frappe.ping")" ||
		return 1
	[[ "$body" == *'"pong"'* ]]
}

# cmd_down: stop and remove the containers and the network; the named volumes (database, sites, the queue,
# certificates) stay. The anonymous volumes the base images' VOLUME lines give each container (e.g. sites/assets,
# refilled from the image at every start) are removed with their containers, so they do not pile up at every
# down: `compose rm -v` leaves them on some engines, so they are named from the containers' mounts first.
cmd_down() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "down takes no arguments" "bash run.sh down"
	check_docker
	local anon=() id
	for id in $(dc ps -a -q 2>/dev/null); do
		mapfile -t -O "${#anon[@]}" anon < <(docker inspect -f \
			'{{range .Mounts}}{{if eq .Type "volume"}}{{println .Name}}{{end}}{{end}}' "$id" 2>/dev/null |
			grep -E '^[0-9a-f]{64}$' || true)
	done
	dc stop || die "$E_FAIL" "docker compose stop failed" "bash run.sh status"
	dc rm -f -v >/dev/null || warn "could not remove the stopped containers (docker compose rm -f -v)"
	dc down --remove-orphans
	if ((${#anon[@]})); then
		docker volume rm "${anon[@]}" >/dev/null 2>&1 || true # (one still in use by another container stays)
	fi
}

cmd_build() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "build takes no arguments" "bash run.sh build"
	check_docker
	dc build || die "$E_FAIL" "building the app image failed" "check the internet connection; see docs/TROUBLESHOOTING.md"
	info "built $(app_image); apply it with: bash run.sh up"
}

cmd_logs() {
	[[ $# -le 1 ]] || die "$E_USAGE" "logs takes at most one service (got: $*)" "bash run.sh logs [SERVICE]"
	check_docker
	local svc="${1:-}"
	if [[ "$svc" == "frappe" ]]; then
		svc=backend # the old runbook's name
	fi
	if [[ -n "$svc" ]]; then
		local services
		services="$(dc config --services 2>/dev/null || true)"
		grep -qx -- "$svc" <<<"$services" ||
			die "$E_USAGE" "no service '$svc' in the stack" "services: $(tr '\n' ' ' <<<"$services")"
	fi
	if [[ -n "$svc" ]]; then
		dc logs -f --tail 200 "$svc"
	else
		dc logs -f --tail 200
	fi
}

cmd_shell() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "shell takes no arguments" "bash run.sh shell"
	if local_mode; then
		check_local_bench
		as_bench_owner bash -i
		return
	fi
	check_docker
	require_backend
	if [[ -t 0 ]]; then dc exec backend bash; else dc exec -T backend bash; fi
}

# ---------------------------------------------------------------------------------------------------------------
# status

cmd_status() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "status takes no arguments (got: $*)" "bash run.sh status"
	if local_mode; then
		status_local
	else
		status_stack
	fi
}

status_local() { # the bench answers frappe.ping (bench execute, and over HTTP when YAM_URL is set), or exit 4
	local bad=0 pong
	check_local_bench
	info "local-bench mode: bench $YAM_BENCH_DIR, site $YAM_SITE"
	pong="$(as_bench_owner bench --site "$YAM_SITE" execute frappe.ping </dev/null 2>/dev/null || true)"
	if [[ "$pong" == *pong* ]]; then
		info "frappe.ping (bench execute): pong"
	else
		info "frappe.ping (bench execute): NO ANSWER"
		bad=1
	fi
	if [[ -n "${YAM_URL:-}" ]]; then
		if ping_http; then info "frappe.ping ($YAM_URL): pong"; else
			info "frappe.ping ($YAM_URL): NO ANSWER"
			bad=1
		fi
	fi
	if ((bad == 0)) && declare -F status_archive_report >/dev/null; then
		info ""
		status_archive_report
	fi
	((bad == 0)) || die "$E_UNHEALTHY" "site $YAM_SITE does not answer" "is MariaDB running? (systemctl status mariadb)" \
		"is the bench started? (bench start, or supervisor)"
	return 0
}

status_stack() { # every service's container and health, then frappe.ping over HTTP; exit 4 on any problem
	check_docker
	dc ps -a || die "$E_FAIL" "docker compose ps failed" "is the Docker daemon running? (systemctl start docker)"
	info ""
	local services svc prc=0 problems=() starting=()
	services="$(dc config --services 2>/dev/null)" || die "$E_FAIL" "cannot read the compose configuration" \
		"docker compose -f docker-compose.yaml config"
	printf '%-14s %-10s %s\n' SERVICE STATE HEALTH
	for svc in $services; do
		status_service "$svc"
	done
	info ""
	status_memory
	ping_http || prc=$?
	if ((prc == 0)); then
		info "frappe.ping: pong ($(web_url))"
	elif ((prc == 3)); then
		problems+=("curl is not installed, cannot ping the site (apt-get install curl)")
	else
		info "frappe.ping: NO ANSWER ($(web_url))"
		problems+=("the site does not answer frappe.ping on $(web_url) (bash run.sh logs frontend; bash run.sh logs backend)")
	fi
	# disk use, newest backup and offsite copy (ops-dr's watch.sh)
	if declare -F status_ops_report >/dev/null; then
		info ""
		status_ops_report
	fi
	# the readings: live table, archive and oldest live month (archive.sh)
	if ((prc == 0)) && declare -F status_archive_report >/dev/null; then
		info ""
		status_archive_report
	fi
	if ((${#problems[@]})); then
		printf 'run.sh: error: the stack is not healthy\n' >&2
		printf '  - %s\n' "${problems[@]}" >&2
		exit "$E_UNHEALTHY"
	fi
	if ((${#starting[@]})); then
		info "all services up; still starting (health checks not run yet): ${starting[*]}"
	else
		info "all services healthy"
	fi
}

status_memory() { # memory use and limit of each running container (docker stats); informational
	local ids=()
	mapfile -t ids < <(dc ps -q 2>/dev/null || true)
	((${#ids[@]})) || return 0
	info "memory (docker stats; limits in docker-compose.yaml):"
	docker stats --no-stream --format '  {{.Name}}	{{.MemUsage}}	{{.MemPerc}}' "${ids[@]}" 2>/dev/null ||
		info "  docker stats did not answer"
	info ""
}

status_service() { # SERVICE: print its row; add what is wrong with it to the caller's (status_stack's) problems
	local svc="$1" id line state health code
	id="$(container_of "$svc")"
	if [[ -z "$id" ]]; then
		printf '%-14s %-10s %s\n' "$svc" missing -
		problems+=("$svc has no container (bash run.sh up)")
		return 0
	fi
	line="$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}} {{.State.ExitCode}}' "$id" 2>/dev/null || echo "unknown unknown 1")"
	read -r state health code <<<"$line"
	printf '%-14s %-10s %s\n' "$svc" "$state" "$health"
	if [[ "$ONE_SHOT_SERVICES" == *" $svc "* ]]; then
		[[ "$state" == "exited" && "$code" == "0" ]] || [[ "$state" == "running" ]] ||
			problems+=("$svc ended with exit code $code (bash run.sh logs $svc)")
		return 0
	fi
	if [[ "$state" != "running" ]]; then
		problems+=("$svc is $state (bash run.sh logs $svc; bash run.sh up)")
	elif [[ "$health" == "starting" ]]; then
		starting+=("$svc") # its first health checks have not run yet: not a fault (yet)
	elif [[ "$health" != "healthy" && "$health" != "none" ]]; then
		problems+=("$svc is $health (bash run.sh logs $svc)")
	fi
}
