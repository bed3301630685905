# shellcheck shell=bash
# run.sh part: where bench commands run. Docker mode (the default): inside the stack's backend container.
# Local-bench mode (YAM_BENCH_DIR set): in that bench folder, as the owner of the folder (root uses runuser/sudo).

local_mode() { [[ -n "${YAM_BENCH_DIR:-}" ]]; }

site_name() {
	if local_mode; then
		printf '%s' "${YAM_SITE:-}"
	else
		printf '%s' "${SITE_NAME:-yam.localhost}"
	fi
}

check_local_bench() {
	[[ -d "$YAM_BENCH_DIR/sites" && -d "$YAM_BENCH_DIR/apps" ]] ||
		die "$E_PREREQ" "YAM_BENCH_DIR=$YAM_BENCH_DIR is not a Frappe bench (no sites/ and apps/ in it)" \
			"point YAM_BENCH_DIR at the folder made by 'bench init', e.g. /home/frappe/frappe-bench"
	[[ -n "${YAM_SITE:-}" ]] ||
		die "$E_PREREQ" "local-bench mode needs YAM_SITE (the site to act on)" \
			"export YAM_SITE=yam.test (sites here: $(cd "$YAM_BENCH_DIR/sites" && find . -mindepth 2 -maxdepth 2 -name site_config.json | cut -d/ -f2 | tr '\n' ' '))"
	[[ -f "$YAM_BENCH_DIR/sites/$YAM_SITE/site_config.json" ]] ||
		die "$E_PREREQ" "site $YAM_SITE does not exist in $YAM_BENCH_DIR/sites" \
			"create it: bench new-site $YAM_SITE, or set YAM_SITE to an existing site"
}

check_docker() {
	command -v docker >/dev/null 2>&1 ||
		die "$E_PREREQ" "docker is not installed or not on PATH" \
			"install Docker Engine with the compose plugin: see docs/DEPLOYMENT_GUIDE.md, section 2"
	docker compose version >/dev/null 2>&1 ||
		die "$E_PREREQ" "'docker compose' (Compose v2 plugin) is not available" \
			"install the docker-compose-plugin package (Debian/Ubuntu: apt-get install docker-compose-plugin)"
	[[ -f "$ENV_FILE" ]] ||
		die "$E_PREREQ" "no settings file $ENV_FILE" \
			"cp .env.example .env, then set DB_ROOT_PASSWORD and ADMIN_PASSWORD in it"
	[[ -f "$COMPOSE_FILE" ]] ||
		die "$E_PREREQ" "compose file $COMPOSE_FILE not found" "run run.sh from a complete checkout of the repository"
}

dc() {
	docker compose -f "$COMPOSE_FILE" --env-file "$ENV_FILE" --project-directory "$SCRIPT_DIR" "$@"
}

# container id of a service ("" when it has no container)
container_of() {
	local ids
	ids="$(dc ps -a -q "$1" 2>/dev/null || true)"
	printf '%s' "${ids%%$'\n'*}"
}

require_backend() {
	local id state
	id="$(container_of backend)"
	state=""
	[[ -n "$id" ]] && state="$(docker inspect -f '{{.State.Status}}' "$id" 2>/dev/null || true)"
	[[ "$state" == "running" ]] ||
		die "${1:-$E_FAIL}" "the backend container is not running" "start the stack: bash run.sh up" \
			"then check: bash run.sh status"
}

# ---------------------------------------------------------------------------------------------------------------
# running things in the bench

as_bench_owner() {
	local owner me
	owner="$(stat -c %U "$YAM_BENCH_DIR")"
	me="$(id -un)"
	if [[ "$owner" == "$me" ]]; then
		(cd "$YAM_BENCH_DIR" && "$@")
	elif [[ "$(id -u)" == "0" ]]; then
		if command -v runuser >/dev/null 2>&1; then
			# shellcheck disable=SC2016 # expanded by the inner shell
			runuser -u "$owner" -- bash -lc 'cd -- "$1" && shift && exec "$@"' bash "$YAM_BENCH_DIR" "$@"
		elif command -v sudo >/dev/null 2>&1; then
			# shellcheck disable=SC2016
			sudo -H -u "$owner" bash -lc 'cd -- "$1" && shift && exec "$@"' bash "$YAM_BENCH_DIR" "$@"
		else
			die "$E_PREREQ" "cannot become $owner (owner of $YAM_BENCH_DIR): neither runuser nor sudo found" \
				"run run.sh as $owner"
		fi
	else
		die "$E_PREREQ" "$YAM_BENCH_DIR belongs to $owner, and you are $me" "run: sudo -u $owner bash run.sh ..."
	fi
}

# site_exec CMD...: run CMD with the bench folder as working directory, stdin/stdout passed through
site_exec() {
	if local_mode; then
		as_bench_owner "$@"
	else
		dc exec -T backend "$@"
	fi
}

run_bench() {
	if local_mode; then
		as_bench_owner bench "$@"
	elif [[ -t 0 && -t 1 ]]; then
		dc exec backend bench "$@"
	else
		dc exec -T backend bench "$@"
	fi
}

prepare_site_mode() { # checks before a command that runs bench
	if local_mode; then
		check_local_bench
	else
		check_docker
		require_backend "${1:-$E_FAIL}"
	fi
}

# ops_call SITE FUNCTION KEY VALUE...: run yam_agri_core.ops.FUNCTION(KEY=VALUE, ...) in the site with
# `bench execute` and JSON keyword arguments; prints the function's JSON result line (its last line on stdout).
# Fails when bench fails (the function raised) or printed no result.
ops_call() {
	local site="$1" fn="$2" kwargs out line last=""
	shift 2
	kwargs="$(json_obj "$@")" || return 1
	out="$(run_bench --site "$site" execute "$OPS_MODULE.$fn" --kwargs "$kwargs" </dev/null)" || return 1
	while IFS= read -r line; do
		[[ "$line" == "{"*"}" ]] && last="$line"
	done <<<"$out"
	[[ -n "$last" ]] || return 1
	printf '%s\n' "$last"
}
