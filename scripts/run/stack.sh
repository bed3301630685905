# shellcheck shell=bash
# run.sh part: the docker compose stack: up, down, build, logs, shell, status (and the site ping).

app_image() { printf '%s:%s' "${YAM_IMAGE:-yam-agri-core}" "${YAM_IMAGE_TAG:-v15.96.1-1}"; }

cmd_up() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "up takes no arguments (got: $*)" "bash run.sh up"
	check_docker
	[[ -n "${DB_ROOT_PASSWORD:-}" && -n "${ADMIN_PASSWORD:-}" ]] ||
		die "$E_PREREQ" "DB_ROOT_PASSWORD and ADMIN_PASSWORD must be set in $ENV_FILE" "edit $ENV_FILE"
	if ! docker image inspect "$(app_image)" >/dev/null 2>&1; then
		info "app image $(app_image) not found: building it (needs internet; offline: bash run.sh offline-load)"
		dc build || die "$E_FAIL" "building the app image failed" \
			"check the internet connection, or load images without internet: bash run.sh offline-load FILE"
	fi
	info "starting the stack (the first start creates the site: several minutes)"
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

site_job_state() { # "STATUS EXITCODE" of the create-site container ("" when it has none)
	local id
	id="$(container_of create-site)"
	[[ -n "$id" ]] || return 0
	docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$id" 2>/dev/null || true
}

wait_for_site() {
	local timeout="${YAM_UP_TIMEOUT:-1800}" waited=0 state code
	info "waiting for create-site (first start: creating the site takes several minutes)"
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
	done
	info "waiting for the site to answer on http://127.0.0.1:${HTTP_PORT:-8000}"
	while ! ping_http >/dev/null 2>&1; do
		((waited < timeout)) || die "$E_UNHEALTHY" "the site does not answer after ${timeout}s" "bash run.sh status" \
			"bash run.sh logs backend"
		sleep 5
		waited=$((waited + 5))
	done
	info "YAM Agri is up: http://localhost:${HTTP_PORT:-8000} (user Administrator)"
}

ping_http() { # GET frappe.ping through the published port
	local url="${YAM_URL:-http://127.0.0.1:${HTTP_PORT:-8000}}" body
	command -v curl >/dev/null 2>&1 || return 3
	body="$(curl -fsS --max-time 10 -H "X-Frappe-Site-Name: $(site_name)" "$url/api/method/frappe.ping")" || return 1
	[[ "$body" == *'"pong"'* ]]
}

cmd_down() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "down takes no arguments" "bash run.sh down"
	check_docker
	dc down
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
	((bad == 0)) || die "$E_UNHEALTHY" "site $YAM_SITE does not answer" "is MariaDB running? (systemctl status mariadb)" \
		"is the bench started? (bench start, or supervisor)"
	return 0
}

status_stack() { # every service's container and health, then frappe.ping over HTTP; exit 4 on any problem
	check_docker
	dc ps -a || die "$E_FAIL" "docker compose ps failed" "is the Docker daemon running? (systemctl start docker)"
	info ""
	local services svc prc=0 problems=()
	services="$(dc config --services 2>/dev/null)" || die "$E_FAIL" "cannot read the compose configuration" \
		"docker compose -f docker-compose.yaml config"
	printf '%-14s %-10s %s\n' SERVICE STATE HEALTH
	for svc in $services; do
		status_service "$svc"
	done
	info ""
	ping_http || prc=$?
	if ((prc == 0)); then
		info "frappe.ping: pong (http://127.0.0.1:${HTTP_PORT:-8000})"
	elif ((prc == 3)); then
		problems+=("curl is not installed, cannot ping the site (apt-get install curl)")
	else
		info "frappe.ping: NO ANSWER"
		problems+=("the site does not answer frappe.ping on port ${HTTP_PORT:-8000} (bash run.sh logs backend)")
	fi
	if ((${#problems[@]})); then
		printf 'run.sh: error: the stack is not healthy\n' >&2
		printf '  - %s\n' "${problems[@]}" >&2
		exit "$E_UNHEALTHY"
	fi
	info "all services healthy"
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
	elif [[ "$health" != "healthy" && "$health" != "none" ]]; then
		problems+=("$svc is $health (bash run.sh logs $svc)")
	fi
}
