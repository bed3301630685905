# shellcheck shell=bash
# run.sh part: the offline image archive: save every image of the stack on a machine with internet, load them on
# one without.

cmd_offline_save() {
	[[ $# -le 1 ]] || die "$E_USAGE" "offline-save takes at most one file name" "bash run.sh offline-save [FILE]"
	check_docker
	local file="${1:-$OFFLINE_DIR/yam-images-$(date +%Y%m%d).tar.gz}" images=() img missing=()
	mapfile -t images < <(dc config --images 2>/dev/null | sort -u)
	((${#images[@]})) || die "$E_FAIL" "could not list the stack's images" "docker compose config --images"
	for img in "${images[@]}"; do
		docker image inspect "$img" >/dev/null 2>&1 || missing+=("$img")
	done
	((${#missing[@]} == 0)) || die "$E_PREREQ" "images not on this machine: ${missing[*]}" \
		"on a machine with internet run: bash run.sh up (builds and pulls everything), then offline-save again"
	mkdir -p "$(dirname "$file")"
	info "saving ${#images[@]} images into $file"
	docker save "${images[@]}" | gzip -c >"$file.part" || {
		rm -f "$file.part"
		die "$E_FAIL" "docker save failed" "df -h (is the disk full?)"
	}
	mv "$file.part" "$file"
	(cd "$(dirname "$file")" && sha256sum "$(basename "$file")" >"$(basename "$file").sha256")
	printf '%s\n' "${images[@]}" >"$file.images"
	info "offline archive: $file ($(human_size "$(stat -c %s "$file")")); copy it with the repository and .env"
}

cmd_offline_load() {
	[[ $# -le 1 ]] || die "$E_USAGE" "offline-load takes at most one file" "bash run.sh offline-load [FILE]"
	local file="${1:-}"
	if [[ -z "$file" ]]; then
		# shellcheck disable=SC2012 # names are ours: yam-images-YYYYMMDD.tar.gz
		file="$(ls -1 "$OFFLINE_DIR"/yam-images-*.tar.gz 2>/dev/null | sort | tail -n 1 || true)"
		[[ -n "$file" ]] || die "$E_PREREQ" "no image archive in $OFFLINE_DIR" \
			"copy yam-images-*.tar.gz there, or: bash run.sh offline-load /media/usb/yam-images-YYYYMMDD.tar.gz"
	fi
	[[ -s "$file" ]] || die "$E_PREREQ" "image archive $file not found or empty" "check the path"
	command -v docker >/dev/null 2>&1 || die "$E_PREREQ" "docker is not installed" "see docs/DEPLOYMENT_GUIDE.md, offline install"
	if [[ -f "$file.sha256" ]]; then
		(cd "$(dirname "$file")" && sha256sum -c --quiet "$(basename "$file").sha256") ||
			die "$E_FAIL" "$file is damaged (sha256 mismatch)" "copy it again from the source machine"
	fi
	info "loading images from $file"
	gzip -dc "$file" | docker load || die "$E_FAIL" "docker load failed" "is the Docker daemon running?"
	info "images loaded; start with: bash run.sh up"
}
