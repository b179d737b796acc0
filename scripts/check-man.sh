#!/bin/sh
# Render each man page as man(1) shows it in an 80-column terminal, with
# every groff warning on, in the C locale (ASCII) and in C.UTF-8; any
# warning fails.
#   scripts/check-man.sh [PAGE...]     (default: man/*.[1-8])
# Exit 0 clean, 1 on a warning, 2 when man(1) is not man-db's (no --warnings).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || set -- "$top"/man/*.[1-8]
if ! man --help 2>&1 | grep -q -- --warnings; then
	echo "check-man: man(1) with --warnings (man-db) is not installed" >&2
	exit 2
fi
status=0
for page in "$@"; do
	for locale in C C.UTF-8; do
		out=$(LC_ALL=$locale MANWIDTH=80 man --warnings=w -l "$page" 2>&1 >/dev/null)
		if [ -n "$out" ]; then
			echo "check-man: $page (LC_ALL=$locale, 80 columns):"
			printf '%s\n' "$out"
			status=1
		fi
	done
done
exit $status
