# shellcheck shell=bash
# run.sh part: commands on the site (backend container, or the native bench in local-bench mode): bench, migrate,
# test, gateway-user. Passwords never are on a command line (bench reads the DB root password from stdin).

cmd_bench() {
	[[ $# -gt 0 ]] || die "$E_USAGE" "bench needs arguments" "bash run.sh bench --site $(site_name) migrate"
	prepare_site_mode
	run_bench "$@"
}

# cmd_migrate: the pre-deployment backup (backup.sh), then bench migrate; no migrate without that backup
cmd_migrate() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "migrate takes no arguments (got: $*)" "bash run.sh migrate"
	prepare_site_mode
	local site rc=0
	site="$(site_name)"
	take_predeploy_backup || rc=$?
	((rc == 0)) || die "$E_BACKUP" "the pre-deployment backup failed: not migrating" \
		"see the newest $BACKUP_ROOT/FAILED_* folder; fix, then: bash run.sh migrate"
	info "migrating site $site"
	run_bench --site "$site" migrate </dev/null || die "$E_FAIL" "bench migrate failed" \
		"the site as it was before is in the newest $BACKUP_ROOT/predeploy_* folder: bash run.sh restore DIR"
	info "migrated site $site"
}

# cmd_test: the integration tier (bench run-tests --app yam_agri_core, CI=1). Local bench: on YAM_TEST_SITE or
# YAM_SITE. Stack: on a site of its own (test.localhost) made for the run and dropped after it, database and
# folder, whatever the result, so nothing of it stays in the production volumes and database
# (YAM_KEEP_TEST_SITE=1 keeps it for the next run: saves the several minutes of making it).
cmd_test() {
	prepare_site_mode
	local site rc=0
	if local_mode; then
		site="${YAM_TEST_SITE:-$YAM_SITE}"
		run_bench --site "$site" set-config allow_tests true </dev/null
		CI=1 as_bench_owner env CI=1 bench --site "$site" run-tests --app yam_agri_core "$@"
		return
	fi
	site="${YAM_TEST_SITE:-test.localhost}"
	[[ "$site" != "$(site_name)" ]] || die "$E_USAGE" "the tests never run on the production site $site" \
		"unset YAM_TEST_SITE (default: test.localhost)"
	if ! site_exec test -f "sites/$site/site_config.json" </dev/null; then
		info "creating the test site $site (takes several minutes; dropped after the run)"
		# the passwords on stdin, never in argv: bench's getpass reads them there without a terminal, in the
		# order it asks (MariaDB root, then Administrator twice)
		printf '%s\n' "${DB_ROOT_PASSWORD:?}" "${ADMIN_PASSWORD:-admin}" "${ADMIN_PASSWORD:-admin}" |
			dc exec -T backend bench new-site "$site" --mariadb-user-host-login-scope='%' \
				--install-app erpnext --install-app yam_agri_core ||
			{
				drop_test_site "$site"
				die "$E_FAIL" "could not create the test site $site" "bash run.sh logs backend"
			}
	fi
	run_bench --site "$site" set-config allow_tests true </dev/null
	dc exec -T -e CI=1 backend bench --site "$site" run-tests --app yam_agri_core "$@" || rc=$?
	if [[ "${YAM_KEEP_TEST_SITE:-0}" == "1" ]]; then
		info "test site $site kept (YAM_KEEP_TEST_SITE=1); drop it with: bash run.sh bench drop-site $site --force"
	else
		drop_test_site "$site"
	fi
	return "$rc"
}

# drop_test_site SITE: its database, its user and its folder (bench drop-site moves the folder out of the sites
# volume, into the container's archived_sites; --no-backup: nothing of it is written to the volume)
drop_test_site() {
	info "dropping the test site $1 (database and folder)"
	printf '%s\n' "${DB_ROOT_PASSWORD:?}" |
		dc exec -T backend bench drop-site "$1" --force --no-backup --db-root-username root >/dev/null ||
		warn "could not drop the test site $1: bash run.sh bench drop-site $1 --force --no-backup"
}

cmd_gateway_user() {
	[[ $# -ge 1 ]] || die "$E_USAGE" "gateway-user needs an email" "bash run.sh gateway-user gateway-silo1@example.com [SITE...]"
	local email="$1"
	shift
	local pw="${YAM_ADMIN_PASSWORD:-${ADMIN_PASSWORD:-}}"
	[[ -n "$pw" ]] || die "$E_PREREQ" "the Administrator password is needed (ADMIN_PASSWORD or YAM_ADMIN_PASSWORD)" \
		"YAM_ADMIN_PASSWORD=... bash run.sh gateway-user $email"
	local args=(--email "$email" --site-name "$(site_name)")
	local s
	for s in "$@"; do args+=(--grant "$s"); done
	if local_mode; then
		check_local_bench
		[[ -n "${YAM_URL:-}" ]] || die "$E_PREREQ" "local-bench mode needs YAM_URL (where the bench serves HTTP)" \
			"export YAM_URL=http://127.0.0.1:8000"
		YAM_ADMIN_PASSWORD="$pw" python3 "$SCRIPT_DIR/simulators/setup_gateway.py" --url "$YAM_URL" "${args[@]}"
	else
		check_docker
		require_backend
		# -e NAME without a value: docker takes it from this environment (the password stays off the command line)
		YAM_ADMIN_PASSWORD="$pw" dc exec -T -e YAM_ADMIN_PASSWORD backend env/bin/python \
			apps/yam_agri_core/simulators/setup_gateway.py --url http://127.0.0.1:8000 "${args[@]}"
	fi
}
