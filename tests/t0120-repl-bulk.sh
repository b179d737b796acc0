#!/bin/sh
# t0120-repl-bulk.sh - 20,000 sequential and 20,000 shuffled inserts
# through rowsh; after a reopen `select` returns every row in key order and
# fsck.rowfs finds the database clean.  ROWFS_SLOW=1 adds a run of
# 1,000,000 shuffled inserts.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-300}

if [ ! -x "$ROWSH" ] || [ ! -x "$FSCK" ]; then
	skip_all "rowsh or fsck.rowfs not built"
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
	awk '{ printf "insert %s user_%s\n", $1, $1 }' "$idfile" >"$work/in"
	timeout "$T" "$ROWSH" "$db" <"$work/in" >"$work/out" 2>"$work/err"
	st=$?
	count=$(wc -l <"$idfile")
	if [ $st -eq 0 ] && [ "$(grep -c -x 'Executed\.' "$work/out")" -eq "$count" ] &&
		[ "$(wc -l <"$work/out")" -eq "$count" ]; then
		ok "$name: $count inserts, each 'Executed.'"
	else
		not_ok "$name: $count inserts, each 'Executed.'" "status $st" \
			"$(grep -v -x 'Executed\.' "$work/out" | head -5)" "$(head -5 "$work/err")"
	fi

	sort -n "$idfile" | awk '{ printf "(%s, user_%s)\n", $1, $1 }' >"$work/exp"
	printf 'select\n' | timeout "$T" "$ROWSH" "$db" >"$work/out" 2>"$work/err"
	if cmp -s "$work/exp" "$work/out"; then
		ok "$name: select after reopen returns every row in key order"
	else
		not_ok "$name: select after reopen returns every row in key order" \
			"$(diff "$work/exp" "$work/out" | head -10)" "$(head -5 "$work/err")"
	fi

	timeout "$T" "$FSCK" "$db" >"$work/fsck" 2>&1
	st=$?
	if [ $st -eq 0 ] && grep -q -x "$db: clean, $count rows, [0-9]* pages" "$work/fsck"; then
		ok "$name: fsck.rowfs exits 0"
	else
		not_ok "$name: fsck.rowfs exits 0" "status $st" "$(head -20 "$work/fsck")"
	fi
}

ids 1 20000 0 >"$work/seq.ids"
bulk "sequential" "$work/seq.db" "$work/seq.ids"

ids 1 20000 42 >"$work/shuf.ids"
bulk "shuffled" "$work/shuf.db" "$work/shuf.ids"

# Both sets into one database: the second run duplicates every key.
awk '{ printf "insert %s again\n", $1 }' "$work/shuf.ids" | head -n 100 |
	timeout "$T" "$ROWSH" "$work/seq.db" >"$work/out" 2>&1
st=$?
if [ $st -eq 1 ] && [ "$(grep -c '^Error: duplicate key [0-9]*\.$' "$work/out")" -eq 100 ]; then
	ok "re-inserting existing keys: 100 duplicate-key errors, exit 1"
else
	not_ok "re-inserting existing keys: 100 duplicate-key errors, exit 1" "status $st" \
		"$(head -5 "$work/out")"
fi

if [ "${ROWFS_SLOW:-0}" = 1 ]; then
	ids 0 1000000 7 >"$work/big.ids"
	T=${ROWFS_TEST_TIMEOUT:-1800}
	bulk "1,000,000 shuffled" "$work/big.db" "$work/big.ids"
else
	skip "1,000,000 rows: set ROWFS_SLOW=1"
fi

done_testing
