#!/bin/sh
# t0120-repl-bulk.sh - 20,000 sequential and 20,000 shuffled inserts
# through rowsh; after a reopen `select` returns every row in key order and
# fsck.rowfs finds the database clean.  ROWFS_SLOW=1 adds a run of
# 1,000,000 shuffled inserts.  TAP.

top_builddir=${top_builddir:-.}
ROWSH=$top_builddir/src/rowsh
FSCK=$top_builddir/src/fsck.rowfs
T=${ROWFS_TEST_TIMEOUT:-300}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rowfs-t0120.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }
not_ok() {
	n=$((n + 1))
	fail=1
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
}

if [ ! -x "$ROWSH" ] || [ ! -x "$FSCK" ]; then
	echo "1..0 # SKIP rowsh or fsck.rowfs not built"
	exit 0
fi

# ids FIRST COUNT SEED: COUNT distinct ids from FIRST in an order shuffled
# with a fixed seed (Fisher-Yates in awk; SEED 0: in order).
ids() {
	awk -v first="$1" -v count="$2" -v seed="$3" 'BEGIN {
		for (i = 0; i < count; i++) a[i] = first + i
		if (seed) {
			srand(seed)
			for (i = count - 1; i > 0; i--) {
				j = int(rand() * (i + 1))
				t = a[i]; a[i] = a[j]; a[j] = t
			}
		}
		for (i = 0; i < count; i++) print a[i]
	}'
}

# bulk NAME DB IDS-FILE: insert the ids, reopen, compare select with sort -n,
# run fsck.rowfs.
bulk() {
	name=$1 db=$2 idfile=$3
	awk '{ printf "insert %s user_%s\n", $1, $1 }' "$idfile" >"$tmp/in"
	timeout "$T" "$ROWSH" "$db" <"$tmp/in" >"$tmp/out" 2>"$tmp/err"
	st=$?
	count=$(wc -l <"$idfile")
	if [ $st -eq 0 ] && [ "$(grep -c -x 'Executed\.' "$tmp/out")" -eq "$count" ] &&
		[ "$(wc -l <"$tmp/out")" -eq "$count" ]; then
		ok "$name: $count inserts, each 'Executed.'"
	else
		not_ok "$name: $count inserts, each 'Executed.'" "status $st" \
			"$(grep -v -x 'Executed\.' "$tmp/out" | head -5)" "$(head -5 "$tmp/err")"
	fi

	sort -n "$idfile" | awk '{ printf "(%s, user_%s)\n", $1, $1 }' >"$tmp/exp"
	printf 'select\n' | timeout "$T" "$ROWSH" "$db" >"$tmp/out" 2>"$tmp/err"
	if cmp -s "$tmp/exp" "$tmp/out"; then
		ok "$name: select after reopen returns every row in key order"
	else
		not_ok "$name: select after reopen returns every row in key order" \
			"$(diff "$tmp/exp" "$tmp/out" | head -10)" "$(head -5 "$tmp/err")"
	fi

	timeout "$T" "$FSCK" "$db" >"$tmp/fsck" 2>&1
	st=$?
	if [ $st -eq 0 ] && grep -q -x "$db: clean, $count rows, [0-9]* pages" "$tmp/fsck"; then
		ok "$name: fsck.rowfs exits 0"
	else
		not_ok "$name: fsck.rowfs exits 0" "status $st" "$(head -20 "$tmp/fsck")"
	fi
}

ids 1 20000 0 >"$tmp/seq.ids"
bulk "sequential" "$tmp/seq.db" "$tmp/seq.ids"

ids 1 20000 42 >"$tmp/shuf.ids"
bulk "shuffled" "$tmp/shuf.db" "$tmp/shuf.ids"

# Both sets into one database: the second run duplicates every key.
awk '{ printf "insert %s again\n", $1 }' "$tmp/shuf.ids" | head -n 100 |
	timeout "$T" "$ROWSH" "$tmp/seq.db" >"$tmp/out" 2>&1
st=$?
if [ $st -eq 1 ] && [ "$(grep -c '^Error: duplicate key [0-9]*\.$' "$tmp/out")" -eq 100 ]; then
	ok "re-inserting existing keys: 100 duplicate-key errors, exit 1"
else
	not_ok "re-inserting existing keys: 100 duplicate-key errors, exit 1" "status $st" \
		"$(head -5 "$tmp/out")"
fi

if [ "${ROWFS_SLOW:-0}" = 1 ]; then
	ids 0 1000000 7 >"$tmp/big.ids"
	T=${ROWFS_TEST_TIMEOUT:-1800}
	bulk "1,000,000 shuffled" "$tmp/big.db" "$tmp/big.ids"
else
	skip "1,000,000 rows: set ROWFS_SLOW=1"
fi

echo "1..$n"
exit $fail
