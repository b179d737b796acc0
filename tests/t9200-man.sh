#!/bin/sh
# t9200-man.sh - every man page renders without a groff warning at 80
# columns, in ASCII and UTF-8 (scripts/check-man.sh): a table wider than
# the line, an unknown escape, a character the device lacks all fail.
# Skipped when man(1) is not man-db's, unless ROWFS_REQUIRE_TOOLS=1 (CI).
#
# TAP output, one test per page.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"

if ! man --help 2>&1 | grep -q -- --warnings; then
	[ "${ROWFS_REQUIRE_TOOLS:-0}" = 1 ] && {
		echo "1..1"
		echo "not ok 1 - man(1) with --warnings (Debian: man-db) is not installed"
		exit 1
	}
	skip_all "man(1) with --warnings (man-db) is not installed"
fi
for page in "$top_srcdir"/man/*.[1-8]; do
	if out=$(sh "$top_srcdir/scripts/check-man.sh" "$page" 2>&1); then
		ok "${page##*/} renders without warnings"
	else
		not_ok "${page##*/} renders without warnings" "$out"
	fi
done
done_testing
