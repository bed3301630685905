# shellcheck shell=bash
# run.sh part: restore a backup folder (see backup.sh) into the site: safety backup first, writers stopped,
# database, files, the backup's encryption_key, migrate, clear-cache, frappe.ping.
# Disaster recovery: with the backend down (a broken site, an empty or corrupt database volume) the restore
# runs in one-off containers (`compose run --no-deps`) after starting only db + redis, then starts the stack;
# --fresh-db first replaces the database volume by an empty one. The MariaDB root password never is on a
# command line: bench reads it from its standard input (getpass without a terminal).

cmd_restore() {
	local dir="" yes=0 safety=1 fresh=0 arg
	for arg in "$@"; do
		case "$arg" in
		--yes | -y) yes=1 ;;
		--no-safety-backup) safety=0 ;;
		--fresh-db) fresh=1 ;;
		-*) die "$E_USAGE" "restore: unknown option '$arg'" "bash run.sh restore [DIR] [--yes] [--no-safety-backup] [--fresh-db]" ;;
		*)
			[[ -z "$dir" ]] || die "$E_USAGE" "restore takes one folder (got '$dir' and '$arg')" \
				"bash run.sh restore ./backups/YYYYMMDD_HHMM"
			dir="$arg"
			;;
		esac
	done
	if [[ -z "$dir" ]]; then
		dir="$(newest_backup)" ||
			die "$E_NOBACKUP" "no backup to restore: no complete backup folder in $BACKUP_ROOT" \
				"make one with: bash run.sh backup" "or name a folder: bash run.sh restore /media/usb/yam-backup/YYYYMMDD_HHMM"
	fi
	dir="${dir%/}"
	check_restore_dir "$dir"
	dir="$(cd "$dir" && pwd)"
	restore_prepare "$fresh"
	local site
	site="$(site_name)"
	[[ -n "${DB_ROOT_PASSWORD:-}" ]] ||
		die "$E_PREREQ" "DB_ROOT_PASSWORD (MariaDB root password) is not set" \
			"set it in .env, or: DB_ROOT_PASSWORD=... bash run.sh restore"

	info "restore: $dir -> site $site$( ((DR_ONEOFF)) && { ((fresh)) && echo " (into a new, empty database volume)" ||
		echo " (disaster recovery: the backend is down)"; })"
	((yes)) || confirm_restore "$dir" "$site"
	if ((safety)); then
		restore_safety "$dir" "$site"
	else
		warn "no safety backup taken (--no-safety-backup)"
	fi
	if ((DR_ONEOFF)); then
		restore_disaster "$dir" "$site" "$fresh"
	else
		restore_with_writers_stopped "$dir" "$site"
	fi
	info "restore complete: site $site is back to $dir"
}

# restore_prepare FRESH: local bench checks, or docker checks; sets DR_ONEOFF=1 when the backend is down
# (or FRESH asks for a new database volume)
restore_prepare() {
	if local_mode; then
		[[ "$1" == 0 ]] || die "$E_USAGE" "--fresh-db is for the docker stack" \
			"local bench: the restore recreates the site's database by itself"
		check_local_bench_dir
		return 0
	fi
	check_docker
	if [[ "$1" == 1 ]] || ! backend_running; then
		DR_ONEOFF=1
	fi
}

# check_local_bench_dir: the bench folder and YAM_SITE are given; the site's folder may be gone (restored from
# the backup's site_config.json)
check_local_bench_dir() {
	[[ -d "$YAM_BENCH_DIR/sites" && -d "$YAM_BENCH_DIR/apps" ]] ||
		die "$E_PREREQ" "YAM_BENCH_DIR=$YAM_BENCH_DIR is not a Frappe bench (no sites/ and apps/ in it)" \
			"point YAM_BENCH_DIR at the folder made by 'bench init', e.g. /home/frappe/frappe-bench"
	[[ -n "${YAM_SITE:-}" ]] || die "$E_PREREQ" "local-bench mode needs YAM_SITE (the site to act on)" "export YAM_SITE=yam.test"
}

# site_answers SITE: frappe.ping works in the site (the running backend, or a one-off container)
site_answers() {
	[[ "$(dr_bench --site "$1" execute frappe.ping </dev/null 2>/dev/null || true)" == *pong* ]]
}

dr_bench() { # bench ARGS in the backend (or local bench), or a one-off container with DR_ONEOFF=1
	if ((DR_ONEOFF)); then dr_exec bench "$@"; else run_bench "$@"; fi
}

# restore_safety DIR SITE: save what the restore is about to replace, or exit 6 with nothing changed. A restore
# never destroys what it has not saved first: the site as a backup (pre-restore/STAMP) when it answers -- through
# the running backend, else (docker) through one-off containers --, or else (docker: the site does not answer,
# e.g. its database is corrupt) the database volume's raw files (pre-restore/STAMP/db-data.tar.gz).
restore_safety() {
	local dir="$1" site="$2" oneoff="$DR_ONEOFF"
	if local_mode; then
		if site_answers "$site"; then
			safety_backup "$dir" || safety_failed "$dir"
		else
			warn "site $site does not answer: no safety backup of its current (broken) state"
		fi
		return 0
	fi
	if backend_running; then
		DR_ONEOFF=0
		if site_answers "$site"; then
			safety_backup "$dir" || safety_failed "$dir"
			DR_ONEOFF="$oneoff"
			return 0
		fi
	fi
	# the backend is down or its site does not answer: try the same through one-off containers
	DR_ONEOFF=1
	if start_data_services >/dev/null 2>&1 && site_answers "$site"; then
		info "the site answers in a one-off container"
		if safety_backup "$dir"; then
			DR_ONEOFF="$oneoff"
			return 0
		fi
	fi
	DR_ONEOFF="$oneoff"
	warn "site $site does not answer: saving the database volume's files as they are instead"
	raw_db_copy || safety_failed "$dir"
}

safety_failed() { # DIR
	die "$E_RESTORE" "the safety backup failed, so nothing was restored or removed (see the log in $BACKUP_ROOT/pre-restore/)" \
		"fix the cause (bash run.sh status), or if the site is beyond saving: bash run.sh restore $1 --no-safety-backup"
}

# raw_db_copy: the database volume's files (MariaDB stopped, so they are consistent) into
# BACKUP_ROOT/pre-restore/STAMP/db-data.tar.gz, owner-only; put back by hand if ever needed (docs/OPERATIONS_RUNBOOK.md)
raw_db_copy() {
	local dest out
	dest="$BACKUP_ROOT/pre-restore/$(date +%Y%m%d_%H%M%S)"
	out="$dest/db-data.tar.gz"
	(umask 077 && mkdir -p "$dest") && chmod 0700 "$BACKUP_ROOT" "$BACKUP_ROOT/pre-restore" || return 1
	info "safety copy of the database volume's files into $out (MariaDB stopped)"
	dc stop db >/dev/null 2>&1 || true
	if ! (umask 077 && dc run --rm --no-deps -T --entrypoint tar db -C /var/lib/mysql -czf - . </dev/null >"$out") ||
		[[ ! -s "$out" ]] || ! gzip -t "$out" 2>/dev/null; then
		printf 'raw copy of %s failed\n' "$(project_volume db-data)" >"$dest/backup.log"
		mv "$dest" "$dest.FAILED" 2>/dev/null || true
		return 1
	fi
	chmod 0600 "$out"
	printf '%s raw copy of the volume %s (MariaDB stopped), %s, sha256=%s\n' "$(date '+%F %T')" \
		"$(project_volume db-data)" "$(human_size "$(stat -c %s "$out")")" "$(sha256sum "$out" | cut -d' ' -f1)" \
		>"$dest/backup.log"
	chmod 0600 "$dest/backup.log"
	info "saved: $out"
}

# check_restore_dir DIR: a complete backup with readable archives, or exit 7
check_restore_dir() {
	local dir="$1"
	[[ -d "$dir" ]] || die "$E_NOBACKUP" "backup folder $dir does not exist" "list backups: ls -lt $BACKUP_ROOT"
	complete_backup "$dir" ||
		die "$E_NOBACKUP" "$dir is not a complete backup (needs non-empty frappe-backup.sql.gz and files.tar.gz)" \
			"pick another folder: ls -lt $BACKUP_ROOT"
	if ! gzip -t "$dir/frappe-backup.sql.gz" 2>/dev/null || ! gzip -t "$dir/files.tar.gz" 2>/dev/null; then
		die "$E_NOBACKUP" "$dir holds a damaged archive (gzip test failed)" "pick another backup folder"
	fi
}

confirm_restore() { # DIR SITE: exit 8 unless the user types yes
	local rc=0
	confirm "This REPLACES all data and files of site $2 with the backup $1." || rc=$?
	case "$rc" in
	0) ;;
	2) die "$E_ABORTED" "restore needs confirmation and there is no terminal to ask" "add --yes to confirm" ;;
	*) die "$E_ABORTED" "restore cancelled; nothing was changed" "run again and type yes, or add --yes" ;;
	esac
}

# safety_backup: the current state into BACKUP_ROOT/pre-restore/STAMP; non-zero (folder renamed .FAILED) on failure
# shellcheck disable=SC2034 # BACKUP_LOG is read by blog (backup.sh)
safety_backup() {
	local sdest
	sdest="$BACKUP_ROOT/pre-restore/$(date +%Y%m%d_%H%M%S)"
	info "safety backup of the current state into $sdest"
	(umask 077 && mkdir -p "$BACKUP_ROOT/pre-restore") && chmod 0700 "$BACKUP_ROOT"
	if ! write_backup "$sdest"; then
		BACKUP_LOG=""
		mv "$sdest" "$sdest.FAILED" 2>/dev/null || true
		warn "the safety backup failed (log: $sdest.FAILED/backup.log)"
		return 1
	fi
	BACKUP_LOG=""
}

# restore_with_writers_stopped DIR SITE: nothing may write while the database is replaced (docker mode: the
# scheduler, workers and simulators are stopped, and started again whatever happens); exit 6 on failure
restore_with_writers_stopped() {
	local dir="$1" site="$2" stopped=() ids=() svc id rc=0
	if ! local_mode; then
		for svc in scheduler queue-short queue-long mock_iot mock_scale; do
			id="$(dc ps -q "$svc" 2>/dev/null)"
			[[ -n "$id" ]] && stopped+=("$svc") && ids+=("${id%%$'\n'*}")
		done
		if ((${#stopped[@]})); then
			info "stopping ${stopped[*]} during the restore"
			dc stop "${stopped[@]}" >/dev/null || warn "could not stop ${stopped[*]}"
		fi
	fi
	do_restore "$dir" "$site" || rc=$?
	if ((${#stopped[@]})); then
		# the containers themselves (docker start): `compose start` would run create-site again (a dependency)
		docker start "${ids[@]}" >/dev/null || warn "could not start ${stopped[*]} again: bash run.sh up"
	fi
	restore_failed_unless "$rc" "$dir"
}

restore_failed_unless() { # RC DIR: exit 6 with the way back when RC is not 0
	((${1} == 0)) && return 0
	die "$E_RESTORE" "restore of $2 failed (see the messages above)" \
		"the state before the restore is in $BACKUP_ROOT/pre-restore/ (newest folder), if the site answered" \
		"check: bash run.sh status; then retry: bash run.sh restore $2 --yes"
}

# restore_disaster DIR SITE FRESH: docker mode, backend down: stop every app service, (new database volume,)
# db + redis only, the restore in one-off containers, then the whole stack (create-site migrates)
restore_disaster() {
	local dir="$1" site="$2" fresh="$3" rc=0 svc running=()
	for svc in backend websocket frontend scheduler queue-short queue-long mock_iot mock_scale gateway; do
		[[ -n "$(dc ps -q "$svc" 2>/dev/null)" ]] && running+=("$svc")
	done
	info "the restore runs in one-off containers (compose run --no-deps)${running[*]:+; stopping ${running[*]}}"
	((${#running[@]} == 0)) || dc stop "${running[@]}" >/dev/null || warn "could not stop ${running[*]}"
	if [[ "$fresh" == 1 ]]; then
		info "replacing the database volume by an empty one (--fresh-db)"
		dc rm -f -s db >/dev/null || warn "could not remove the db container"
		docker volume rm "${COMPOSE_PROJECT_NAME:-yam}_db-data" >/dev/null 2>&1 || warn "no old database volume removed"
	fi
	start_data_services || restore_failed_unless 1 "$dir"
	do_restore "$dir" "$site" || rc=$?
	DR_ONEOFF=0
	restore_failed_unless "$rc" "$dir"
	info "starting the stack (create-site migrates the restored site)"
	dc up -d --remove-orphans || die "$E_RESTORE" "the database is restored but the stack did not start" \
		"bash run.sh logs create-site" "then: bash run.sh up"
	wait_for_site
}

# do_restore DIR SITE: the restore steps, with a temporary folder in the bench (removed afterwards)
do_restore() {
	local dir="$1" site="$2" tmp rc=0
	tmp="$(bench_tmp restore)" || return 1
	restore_steps "$dir" "$site" "$tmp" || rc=$?
	dr_exec rm -rf "$tmp" </dev/null || true
	return "$rc"
}

restore_steps() { # DIR SITE TMP
	local dir="$1" site="$2" tmp="$3"
	dr_exec tee -- "$tmp/frappe-backup.sql.gz" <"$dir/frappe-backup.sql.gz" >/dev/null || return 1
	if ! dr_exec test -f "sites/$site/site_config.json" </dev/null; then
		info "site $site has no site_config.json (fresh volume): taking the backup's"
		dr_exec mkdir -p "sites/$site" </dev/null || return 1
		dr_exec tar -C "sites/$site" -xzf - site_config.json <"$dir/files.tar.gz" || return 1
	fi
	restore_database "$site" "$tmp/frappe-backup.sql.gz" || return 1
	if ! local_mode; then
		grant_site_db_user "$site" || return 1
	fi

	info "files: replacing public/files and private/files"
	dr_exec rm -rf -- "sites/$site/public/files" "sites/$site/private/files" </dev/null || return 1
	dr_exec tar -C "sites/$site" -xzf - public/files private/files <"$dir/files.tar.gz" || return 1
	if ((DR_ONEOFF)); then
		adopt_backup_key_offline "$dir" "$site" "$tmp" || return 1
		return 0 # create-site migrates when the stack starts
	fi
	adopt_backup_key "$dir" "$site" "$tmp" || return 1
	info "migrate + clear cache"
	run_bench --site "$site" migrate </dev/null || return 1
	run_bench --site "$site" clear-cache </dev/null || return 1
	site_answers "$site" || {
		warn "the site does not answer frappe.ping after the restore"
		return 1
	}
}

# restore_database SITE SQL: bench restore, the root password on bench's standard input (no terminal: local
# mode detaches with setsid, so getpass reads stdin instead of asking on the terminal)
restore_database() {
	info "database: bench --site $1 restore (root password on stdin)"
	if local_mode; then
		printf '%s\n' "$DB_ROOT_PASSWORD" | as_bench_owner setsid -w bench --site "$1" restore --force "$2"
	else
		printf '%s\n' "$DB_ROOT_PASSWORD" | dr_exec bench --site "$1" restore --force "$2"
	fi
}

# grant_site_db_user SITE: docker mode: the site's database user may log in from every container ('%').
# `bench restore` makes the user for the address of the container it runs in (a one-off container's, with the
# backend down), so the backend, workers and scheduler would get 1045 Access denied. The site's credentials are
# read from its site_config.json and the SQL goes to MariaDB on stdin; the root password through the
# environment (MYSQL_PWD), never on a command line.
# shellcheck disable=SC2016 # a Python program in single quotes
grant_sql() { # site_config.json on stdin -> the SQL (the password escaped for a MariaDB string)
	python3 -c 'if True:
		import json, sys
		c = json.load(sys.stdin)
		q = lambda s: "\x27" + str(s).replace("\\", "\\\\").replace("\x27", "\\\x27") + "\x27"
		user, db = q(c.get("db_user") or c["db_name"]), "`" + c["db_name"].replace("`", "``") + "`"
		print("CREATE USER IF NOT EXISTS %s@\x27%%\x27 IDENTIFIED BY %s;" % (user, q(c["db_password"])))
		print("ALTER USER %s@\x27%%\x27 IDENTIFIED BY %s;" % (user, q(c["db_password"])))
		print("GRANT ALL PRIVILEGES ON %s.* TO %s@\x27%%\x27;" % (db, user))
	'
}

grant_site_db_user() {
	local site="$1" sql
	sql="$(dr_exec cat "sites/$site/site_config.json" </dev/null | grant_sql)" || {
		warn "could not read the database credentials of $site"
		return 1
	}
	info "database user of $site: may log in from every container of the stack"
	printf '%s\n' "$sql" | MYSQL_PWD="$DB_ROOT_PASSWORD" dc exec -T -e MYSQL_PWD db mariadb -uroot
}

# adopt_backup_key DIR SITE TMP: an encrypted password (API secrets, email accounts) only decrypts with the key
# it was made with, so the site takes the encryption_key of the backup's site_config.json when it differs
# (compared and set in the site by yam_agri_core.ops.adopt_encryption_key; the key never is on a command line)
adopt_backup_key() {
	local dir="$1" site="$2" cfg="$3/site_config.json" result
	tar -tzf "$dir/files.tar.gz" site_config.json >/dev/null 2>&1 || return 0 # a hand-made backup: keep the key
	tar -xzOf "$dir/files.tar.gz" site_config.json | dr_exec tee -- "$cfg" >/dev/null || return 1
	if ! result="$(ops_call "$site" adopt_encryption_key backup_config "$cfg")"; then
		warn "could not take over the backup's encryption_key (an app image older than run.sh? bash run.sh build)"
		return 1
	fi
	if json_flag "$result" changed; then
		info "site config: taking the backup's encryption_key"
	fi
}

# adopt_backup_key_offline DIR SITE TMP: the same without a running site: the two site_config.json are merged
# on this machine by yam_agri_core/ops.py (pure Python, no frappe), through pipes and owner-only files
adopt_backup_key_offline() {
	local dir="$1" site="$2" work rc=0
	tar -tzf "$dir/files.tar.gz" site_config.json >/dev/null 2>&1 || return 0
	work="$(umask 077 && mktemp -d)" || return 1
	if tar -xzOf "$dir/files.tar.gz" site_config.json >"$work/backup.json" &&
		dr_exec cat "sites/$site/site_config.json" </dev/null >"$work/current.json" &&
		python3 "$SCRIPT_DIR/yam_agri_core/ops.py" merge-key "$work/current.json" "$work/backup.json" \
			>"$work/merged.json"; then
		# (compared as JSON: the merge may write the same settings in another layout)
		if ! python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
			"$work/current.json" "$work/merged.json"; then
			info "site config: taking the backup's encryption_key"
			dr_exec tee -- "sites/$site/site_config.json" <"$work/merged.json" >/dev/null || rc=1
		fi
	else
		rc=1
	fi
	rm -rf -- "$work"
	return "$rc"
}
