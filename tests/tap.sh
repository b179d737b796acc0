# shellcheck shell=sh disable=SC2034 # variables here are used by the tests
# tests/tap.sh - what every shell test shares (sourced; POSIX sh; TAP): the
# TAP output, a work directory removed at exit, time bounds and the programs
# of the build tree.  The mount tests get it through tests/lib.sh, which
# adds the mount helpers.
#
# Sourcing it gives:
#   $top_builddir $top_srcdir   from the environment (make check), else .
#   $ROWFS $ROWSH $FSCK $WRTEST   the programs of the build tree
#   $T               seconds any single wait may take: ROWFS_TEST_TIMEOUT,
#                    else 30 (a test that needs a longer default sets
#                    T=${ROWFS_TEST_TIMEOUT:-N} after sourcing)
#   $work            a mktemp -d work directory, removed at exit
#   $n $fail         tests run so far; 1 once one failed
#   ok NAME          ok N - NAME
#   not_ok NAME [DETAIL...]   not ok N - NAME, then every line of every
#                    DETAIL as a TAP comment ("# ...")
#   skip REASON      ok N # SKIP REASON
#   check NAME EXPECTED-FILE ACTUAL-FILE   ok if byte-identical, else a diff
#   expect NAME EXPECTED ACTUAL            ok if the strings are equal
#   fails_with NAME TEXT CMD...  ok if CMD fails and its stderr holds TEXT
#                    (a strerror text, say); CMD may be a shell function
#   done_testing     prints the plan 1..N; exit status 1 if a test failed
#   skip_all REASON  1..0 # SKIP REASON and exit 0 (before any test)
#   t CMD...         CMD bounded by $T seconds
#   rsh [ARGS...]    rowsh bounded by $T seconds
#   errors_near OUT ERR   0 if rowsh's stderr ERR (stdin not a terminal)
#                    is exactly the copies of the errors of its stdout OUT:
#                    every line "Error near line N: TEXT", the TEXTs in
#                    order the error lines of OUT (Token error, Parse
#                    error, Error:, Unrecognized ...)
#   at_exit FUNC     run FUNC STATUS at exit, before $work is removed; the
#                    last registered runs first
# and LC_ALL=C: text tools work on bytes (as in git's test-lib.sh); in a
# UTF-8 locale sed's and grep's '.' do not match invalid UTF-8, which names
# may hold.

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
LC_ALL=C
export LC_ALL
ROWFS=$top_builddir/src/rowfs
ROWSH=$top_builddir/src/rowsh
FSCK=$top_builddir/src/fsck.rowfs
WRTEST=$top_builddir/tests/wrtest
T=${ROWFS_TEST_TIMEOUT:-30}

n=0
fail=0
tap_at_exit=""

at_exit() { tap_at_exit="$1 $tap_at_exit"; }

# shellcheck disable=SC2317 # called by the EXIT trap
tap_cleanup() {
	tap_status=$?
	trap '' PIPE   # a reader that went away must not stop the cleanup
	for tap_hook in $tap_at_exit; do
		"$tap_hook" "$tap_status"
	done
	rm -rf "$work"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/rowfs-$(basename "$0" .sh).XXXXXX") || exit 1
trap tap_cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
not_ok() {
	n=$((n + 1))
	fail=1
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
	return 0
}
check() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		not_ok "$1" "$(diff -u "$2" "$3" 2>&1 | head -40)"
	fi
}
expect() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "expected: $2" "actual:   $3"
	fi
}
fails_with() {
	tap_name=$1
	tap_text=$2
	shift 2
	if "$@" >/dev/null 2>"$work/fails_with.err"; then
		not_ok "$tap_name" "it succeeded"
	elif grep -q -- "$tap_text" "$work/fails_with.err"; then
		ok "$tap_name"
	else
		not_ok "$tap_name" "expected on stderr: $tap_text" "$(cat "$work/fails_with.err")"
	fi
}
done_testing() {
	echo "1..$n"
	exit $fail
}
skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

t() { timeout "$T" "$@"; }
rsh() { timeout "$T" "$ROWSH" "$@"; }
errors_near() {
	grep -v -E '^Error near line [0-9]+: ' "$2" >/dev/null && return 1
	sed 's/^Error near line [0-9]*: //' "$2" >"$work/errors_near.err"
	grep -E '^(Token error|Parse error|Error|Unrecognized meta-command)' "$1" \
		>"$work/errors_near.out"
	cmp -s "$work/errors_near.out" "$work/errors_near.err"
}
