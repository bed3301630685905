# shellcheck shell=bash
# run.sh part: archive: move sensor readings older than the retention (YAM Agri Settings: Keep Readings Live For
# (days), default 180) out of MariaDB into Parquet files, one per site and month, under the site's private files
# (sites/SITE/private/files/yam_archive/observation/SITE/YYYY-MM.parquet: `backup`, `restore` and `offsite` carry
# them). The daily scheduler job does the same; this runs it by hand. What runs inside the site is
# yam_agri_core/monitoring/archive.py (crash-safe and idempotent: a second run moves nothing).

cmd_archive() {
	local fn="print_run"
	while (($#)); do
		case "$1" in
		--dry-run) fn="print_dry_run" ;;
		*) die "$E_USAGE" "archive: unknown argument '$1'" "bash run.sh archive [--dry-run]" ;;
		esac
		shift
	done
	prepare_site_mode
	local site
	site="$(site_name)"
	info "archive: readings of site $site older than the retention$([[ "$fn" == print_dry_run ]] && echo " (dry run: nothing moves)")"
	run_bench --site "$site" execute "yam_agri_core.monitoring.archive.$fn" </dev/null ||
		die "$E_FAIL" "the archive run failed (nothing was lost: an unfinished month is redone by the next run)" \
			"bash run.sh bench --site $site console  # then: frappe.get_all('Observation Archive', fields=['*'])"
}

# status_archive_report: for `run.sh status`: the readings' live table size, the archive's size and the oldest live
# month; informational, always returns 0
status_archive_report() {
	local site
	site="$(site_name)"
	info "sensor readings (site $site):"
	run_bench --site "$site" execute yam_agri_core.monitoring.archive.print_status </dev/null 2>/dev/null ||
		info "  (the site did not answer)"
	return 0
}
