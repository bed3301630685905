# shellcheck shell=bash
# run.sh part: watch (what the hourly timer runs) and the operations part of `status`: a failed or missing backup
# (none newer than 26 h) and a disk above 80 % (runbook 6.2) email the IT admin ONCE per event (the state file
# remembers which events were told), through the site's Email Queue when it answers, else over SMTP from this
# machine (yam_agri_core/ops.py sendmail, settings from .env), so the stack being down does not silence it.

BACKUP_MAX_AGE_HOURS="${YAM_BACKUP_MAX_AGE_HOURS:-26}"
DISK_ALERT_PERCENT="${YAM_DISK_ALERT_PERCENT:-80}"
WATCH_STATE="${YAM_WATCH_STATE:-$BACKUP_ROOT/.watch-state}"
WATCH_ACTIVE=() # the keys of the events that are on now (cmd_watch)
OFFSITE_STATE="${YAM_OFFSITE_STATE:-$BACKUP_ROOT/.offsite-last}"

# host_mail SUBJECT MESSAGE: SMTP from this machine to YAM_ADMIN_EMAIL (the password stays in the environment)
host_mail() {
	command -v python3 >/dev/null 2>&1 || return 1
	printf '%s\n' "$2" | python3 "$SCRIPT_DIR/yam_agri_core/ops.py" sendmail "$YAM_ADMIN_EMAIL" "$1"
}

# alert_once KEY SUBJECT MESSAGE: email the admin unless event KEY was already told; remembered only once sent
alert_once() {
	local key="$1"
	if [[ -f "$WATCH_STATE" ]] && grep -qxF -- "$key" <(cut -f1 "$WATCH_STATE"); then
		info "watch: already told: $key"
		return 0
	fi
	notify_admin "$2" "$3" || return 1
	(umask 077 && mkdir -p "$(dirname "$WATCH_STATE")" && printf '%s\t%s\n' "$key" "$(date +%s)" >>"$WATCH_STATE")
}

# forget_events_except KEY...: drop told events that are over (a later one of the same kind is told again)
forget_events_except() {
	[[ -f "$WATCH_STATE" ]] || return 0
	local line keep=() key
	while IFS= read -r line; do
		key="${line%%$'\t'*}"
		[[ "$key" == backup-failed:* ]] && keep+=("$line") && continue # one event per failed run, kept
		[[ " $* " == *" $key "* ]] && keep+=("$line")
	done <"$WATCH_STATE"
	(umask 077 && printf '%s\n' "${keep[@]}" | grep -v '^$' >"$WATCH_STATE.new" || true)
	mv -f "$WATCH_STATE.new" "$WATCH_STATE"
}

# watch_paths: the file systems to watch, one a line: YAM_WATCH_PATHS (colon-separated), else the Docker data
# root (where the volumes are) or the bench, and the backups folder
watch_paths() {
	local p root
	if [[ -n "${YAM_WATCH_PATHS:-}" ]]; then
		tr ':' '\n' <<<"$YAM_WATCH_PATHS"
		return 0
	fi
	if local_mode; then
		printf '%s\n' "$YAM_BENCH_DIR"
	else
		root="$(docker info -f '{{.DockerRootDir}}' 2>/dev/null || true)"
		printf '%s\n' "${root:-/var/lib/docker}"
	fi
	p="$BACKUP_ROOT"
	while [[ ! -e "$p" && "$p" == /* ]]; do p="$(dirname "$p")"; done
	printf '%s\n' "$p"
}

# disk_percent PATH: how full (%) the file system of PATH is
disk_percent() {
	local line
	line="$(df -P -- "$1" 2>/dev/null | tail -n 1)" || return 1
	read -r _ _ _ _ line _ <<<"$line"
	[[ "${line%\%}" =~ ^[0-9]+$ ]] || return 1
	printf '%s' "${line%\%}"
}

# backup_age_hours: hours since the newest complete backup ("" when there is none)
backup_age_hours() {
	local newest age
	newest="$(newest_backup)" || return 0
	age="$(age_seconds "${newest##*/}")" || return 0
	printf '%s' $((age / 3600))
}

cmd_watch() {
	[[ $# -eq 0 ]] || die "$E_USAGE" "watch takes no arguments" "bash run.sh watch"
	WATCH_ACTIVE=()
	watch_backups
	watch_disks
	forget_events_except "${WATCH_ACTIVE[@]}"
	if ((${#WATCH_ACTIVE[@]})); then
		warn "watch: ${#WATCH_ACTIVE[@]} problem(s); see above"
		return "$E_UNHEALTHY"
	fi
	info "watch: backups and disk space are fine"
}

# watch_backups: alert a failed newest backup and a missing one (none newer than BACKUP_MAX_AGE_HOURS);
# adds the keys of the events that are on to WATCH_ACTIVE
watch_backups() {
	local newest="" age failed key
	newest="$(newest_backup)" || newest=""
	failed="$(list_named '^FAILED_[0-9]{8}_[0-9]{4}$' "$BACKUP_ROOT" | head -n 1)"
	if [[ -n "$failed" && ("$newest" == "" || "$(stamp_of "$failed")" > "$(stamp_of "${newest##*/}")") ]]; then
		info "watch: the last backup failed: $BACKUP_ROOT/$failed/backup.log"
		alert_once "backup-failed:$(stamp_of "$failed")" "YAM backup FAILED on $(hostname)" \
			"The backup $failed of site $(site_name) failed. See $BACKUP_ROOT/$failed/backup.log on $(hostname)." || true
		WATCH_ACTIVE+=("backup-failed:$(stamp_of "$failed")")
	fi
	age="$(backup_age_hours)"
	if [[ -z "$age" || "$age" -ge "$BACKUP_MAX_AGE_HOURS" ]]; then
		key="backup-missing:${newest##*/}"
		info "watch: no backup newer than $BACKUP_MAX_AGE_HOURS h (newest: ${newest:-none}${age:+, $age h old})"
		alert_once "$key" "YAM: no backup for $BACKUP_MAX_AGE_HOURS hours on $(hostname)" \
			"No complete backup of site $(site_name) newer than $BACKUP_MAX_AGE_HOURS hours in $BACKUP_ROOT on $(hostname) (newest: ${newest:-none}${age:+, $age hours old}). Check: bash run.sh status; bash run.sh backup." || true
		WATCH_ACTIVE+=("$key")
	fi
}

# watch_disks: alert each watched file system above DISK_ALERT_PERCENT; prints the keys of the active events
watch_disks() {
	local path pct key
	while IFS= read -r path; do
		[[ -n "$path" ]] || continue
		pct="$(disk_percent "$path")" || continue
		((pct > DISK_ALERT_PERCENT)) || continue
		key="disk-high:$path"
		info "watch: $path is $pct % full (alert above $DISK_ALERT_PERCENT %)"
		alert_once "$key" "YAM: disk $pct % full on $(hostname)" \
			"The file system of $path on $(hostname) is $pct % full (alert above $DISK_ALERT_PERCENT %). Free space: docker system df; docker image prune; bash run.sh prune; move old backups offsite." || true
		WATCH_ACTIVE+=("$key")
	done < <(watch_paths)
}

# status_ops_report: for `run.sh status`: disk use, the age of the newest backup and of the newest offsite copy,
# and what to do about each; informational, always returns 0
status_ops_report() {
	local path pct age line todo=()
	info "disk, backups, offsite copies:"
	while IFS= read -r path; do
		[[ -n "$path" ]] || continue
		pct="$(disk_percent "$path")" || continue
		printf '  disk %-28s %3s %% used\n' "$path" "$pct"
		((pct <= DISK_ALERT_PERCENT)) || todo+=("free space on $path (above $DISK_ALERT_PERCENT %): docker image prune; bash run.sh prune")
	done < <(watch_paths)
	age="$(backup_age_hours)"
	if [[ -z "$age" ]]; then
		info "  newest backup: none"
		todo+=("take a backup now: bash run.sh backup; schedule it: bash run.sh schedule install")
	else
		info "  newest backup: $(newest_backup) ($age h old)"
		((age < BACKUP_MAX_AGE_HOURS)) || todo+=("no backup for $age h: bash run.sh backup (is the timer on? bash run.sh schedule show)")
	fi
	line="$(cat "$OFFSITE_STATE" 2>/dev/null || true)"
	if [[ "$line" =~ ^([0-9]+)\ (.*)$ ]]; then
		info "  newest offsite copy: ${BASH_REMATCH[2]} ($((($(date +%s) - BASH_REMATCH[1]) / 86400)) days ago)"
		(($(date +%s) - BASH_REMATCH[1] < 8 * 86400)) || todo+=("the offsite copy is over a week old: bash run.sh offsite")
	else
		info "  newest offsite copy: none"
		todo+=("copy the newest backup offsite, encrypted: bash run.sh offsite (YAM_OFFSITE_REPO in .env)")
	fi
	((${#todo[@]})) && printf '  to do: %s\n' "${todo[@]}"
	return 0
}
