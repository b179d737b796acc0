#!/bin/sh
# t4000-fsck.sh - fsck.rowfs on clean, damaged, locked and missing
# databases: exit status 0 clean, 4 damage, 8 usage or operational error;
# the report format; it never writes.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"
T=${ROWFS_TEST_TIMEOUT:-60}

holder=""
# kill_holder: the exit hook; ends the rowsh of test 11 if it still runs.
# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
kill_holder() {
	exec 3>&- 2>/dev/null
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
	fi
}
at_exit kill_holder

# fsck ARGS...: fsck.rowfs bounded by $T seconds.
fsck() {
	timeout "$T" "$FSCK" "$@"
}

if [ ! -x "$ROWSH" ] || [ ! -x "$FSCK" ]; then
	skip_all "rowsh or fsck.rowfs not built"
fi

# le32 FILE OFFSET: the little-endian u32 at OFFSET.
le32() {
	od -An -tu1 -j"$2" -N4 "$1" | awk '{ print $1 + 256 * $2 + 65536 * $3 + 16777216 * $4 }'
}
# put32 FILE OFFSET VALUE: write a little-endian u32 in place.
put32() {
	# shellcheck disable=SC2046,SC2059 # four octal escapes make the format
	printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $(($3 & 255)) $((($3 >> 8) & 255)) \
		$((($3 >> 16) & 255)) $((($3 >> 24) & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# expect_status NAME STATUS OUTFILE PATTERN STATUS-WANTED: status and an
# output line.
expect_status() {
	if [ "$2" = "$5" ] && grep -q -- "$4" "$3"; then
		ok "$1"
	else
		not_ok "$1" "status $2 (expected $5), no line matching '$4' in:" "$(head -20 "$3")"
	fi
}

db=$work/good.db
awk 'BEGIN { for (i = 1; i <= 200; i++) printf "insert %d user%d\n", i, i }' |
	timeout "$T" "$ROWSH" "$db" >/dev/null 2>&1

# 1: clean.
fsck "$db" >"$work/out" 2>&1
expect_status "clean database: exit 0, summary line" $? "$work/out" \
	"^$db: clean, 200 rows, [0-9]* pages\$" 0

# 2: -v adds statistics.
fsck -v "$db" >"$work/out" 2>&1
expect_status "-v prints statistics" $? "$work/out" "^$db: 200 rows, depth 2, " 0

# 3-4: usage errors and missing files are operational errors (8).
bad=""
for args in "" "-x $db" "--nope $db" "$db $db"; do
	# shellcheck disable=SC2086 # word splitting of args is intended
	fsck $args >/dev/null 2>"$work/err"
	st=$?
	if [ $st -ne 8 ] || [ ! -s "$work/err" ]; then
		bad="$bad [$args: status $st]"
	fi
done
fsck --help >"$work/out" 2>&1 && grep -q '^usage: fsck.rowfs' "$work/out" || bad="$bad [--help]"
fsck -V >"$work/out" 2>&1 && grep -q '^fsck.rowfs (rowfs) [0-9]' "$work/out" || bad="$bad [-V]"
if [ -z "$bad" ]; then
	ok "usage errors exit 8 with a message; --help and -V exit 0"
else
	not_ok "usage errors exit 8 with a message; --help and -V exit 0" "$bad"
fi
fsck "$work/missing.db" >"$work/out" 2>&1
st=$?
if [ $st -eq 8 ] && grep -q 'No such file' "$work/out" && [ ! -e "$work/missing.db" ] &&
	[ ! -e "$work/missing.db-wal" ]; then
	ok "missing file: exit 8, nothing created"
else
	not_ok "missing file: exit 8, nothing created" "status $st" "$(cat "$work/out")"
fi
fsck "$work" >"$work/out" 2>&1
expect_status "a directory: exit 8" $? "$work/out" "not a regular file" 8
cp "$db" "$work/fifowal.db"
mkfifo "$work/fifowal.db-wal"
fsck "$work/fifowal.db" >"$work/out" 2>&1
expect_status "a FIFO as the WAL: exit 8 at once, no hang" $? "$work/out" "not a regular file" 8

# 5-7: not a database: bad magic, garbage, truncated.
cp "$db" "$work/magic.db"
printf 'R' | dd of="$work/magic.db" bs=1 seek=0 conv=notrunc 2>/dev/null
fsck "$work/magic.db" >"$work/out" 2>&1
expect_status "bad magic: exit 4, 'not a rowfs database'" $? "$work/out" \
	"^$work/magic.db: not a rowfs database" 4
awk 'BEGIN { srand(7); for (i = 0; i < 9000; i++) printf "%c", 32 + int(rand() * 90) }' \
	>"$work/garbage.db"
fsck "$work/garbage.db" >"$work/out" 2>&1
expect_status "garbage file: exit 4" $? "$work/out" "^$work/garbage.db: 1 problem found\$" 4
head -c 40 "$db" >"$work/short.db"
fsck "$work/short.db" >"$work/out" 2>&1
expect_status "file shorter than a header: exit 4" $? "$work/out" "too short" 4

# 8-10: damaged trees, found at computed offsets.
root=$(le32 "$db" 24)
left=$(le32 "$db" $((root * 4096 + 14)))
cp "$db" "$work/sibling.db"
put32 "$work/sibling.db" $((left * 4096 + 10)) 0
fsck "$work/sibling.db" >"$work/out" 2>&1
st=$?
if [ $st -eq 4 ] && grep -q "^$work/sibling.db: Page $left: next leaf is 0, expected" "$work/out" &&
	grep -q "^$work/sibling.db: [0-9]* problems* found\$" "$work/out"; then
	ok "broken sibling pointer: exit 4, the page named"
else
	not_ok "broken sibling pointer: exit 4, the page named" "status $st" "$(cat "$work/out")"
fi
cp "$db" "$work/twice.db"
put32 "$work/twice.db" $((root * 4096 + 10)) "$left"
fsck "$work/twice.db" >"$work/out" 2>&1
expect_status "a page referenced twice: exit 4" $? "$work/out" \
	"Page $left: referenced more than once" 4
cp "$db" "$work/swap.db"
dd if="$db" of="$work/swap.db" bs=1 skip=$((left * 4096 + 14)) seek=$((left * 4096 + 54)) \
	count=40 conv=notrunc 2>/dev/null
dd if="$db" of="$work/swap.db" bs=1 skip=$((left * 4096 + 54)) seek=$((left * 4096 + 14)) \
	count=40 conv=notrunc 2>/dev/null
fsck "$work/swap.db" >"$work/out" 2>&1
expect_status "swapped cells in a leaf: exit 4" $? "$work/out" "Page $left: keys out of order" 4

# 11: a running rowsh holds the lock: operational error.
mkfifo "$work/fifo"
timeout "$T" "$ROWSH" "$work/live.db" <"$work/fifo" >"$work/holder.out" 2>&1 &
holder=$!
exec 3>"$work/fifo"
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "insert %d live%d\n", i, i }' >&3
printf 'select\n' >&3
i=0
while ! grep -q '^(300, live300)$' "$work/holder.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
fsck "$work/live.db" >"$work/out" 2>&1
expect_status "database in use: exit 8, 'database is locked'" $? "$work/out" "database is locked" 8

# 12-13: the files as a crash would leave them (rows only in the WAL) are
# clean, and fsck changes neither file.
cp "$work/live.db" "$work/crash.db"
cp "$work/live.db-wal" "$work/crash.db-wal"
exec 3>&-
wait "$holder"
holder=""
sum_before=$(cksum <"$work/crash.db")$(cksum <"$work/crash.db-wal")
fsck -v "$work/crash.db" >"$work/out" 2>&1
st=$?
grep -q "^$work/crash.db: WAL: [1-9][0-9]* frames" "$work/out" || st="$st, WAL empty"
expect_status "crash state (rows in the WAL): exit 0" "$st" "$work/out" \
	"^$work/crash.db: clean, 300 rows" 0
sum_after=$(cksum <"$work/crash.db")$(cksum <"$work/crash.db-wal")
cp "$db" "$work/nowal.db"
fsck "$work/nowal.db" >/dev/null 2>&1
fsck "$work/sibling.db" >/dev/null 2>&1
if [ "$sum_before" = "$sum_after" ] && [ ! -e "$work/nowal.db-wal" ] &&
	[ ! -e "$work/sibling.db-wal" ]; then
	ok "fsck writes nothing (files unchanged, no WAL created)"
else
	not_ok "fsck writes nothing (files unchanged, no WAL created)" \
		"$sum_before" "$sum_after" "$(ls "$work")"
fi

# An emptied DBFILE beside a log that holds frames is damage, not a new
# database: fsck, rowsh and the engine refuse to start over the log.
: >"$work/crash.db"
sum_before=$(cksum <"$work/crash.db-wal")
fsck "$work/crash.db" >"$work/out" 2>&1
expect_status "emptied database file beside a log: exit 4" $? "$work/out" \
	"is empty but its log .* holds [0-9]* bytes" 4
printf 'select\n' | timeout 10 "$top_builddir/src/rowsh" "$work/crash.db" >"$work/out" 2>&1
st=$?
if [ "$st" -ne 0 ] && grep -q "refusing to start a new database" "$work/out" &&
	[ "$(cksum <"$work/crash.db-wal")" = "$sum_before" ] && [ ! -s "$work/crash.db" ]; then
	ok "rowsh refuses an emptied database file beside a log and changes nothing"
else
	not_ok "rowsh refuses an emptied database file beside a log" "exit $st" "$(cat "$work/out")"
fi

done_testing
