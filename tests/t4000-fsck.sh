#!/bin/sh
# t4000-fsck.sh - fsck.rowfs on clean, damaged, locked and missing
# databases: exit status 0 clean, 4 damage, 8 usage or operational error;
# the report format; it never writes.  TAP.

top_builddir=${top_builddir:-.}
ROWSH=$top_builddir/src/rowsh
FSCK=$top_builddir/src/fsck.rowfs
T=${ROWFS_TEST_TIMEOUT:-60}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rowfs-t4000.XXXXXX") || exit 1
holder=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	exec 3>&- 2>/dev/null
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1))
	fail=1
	echo "not ok $n - $1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
}
fsck() {
	timeout "$T" "$FSCK" "$@"
}

if [ ! -x "$ROWSH" ] || [ ! -x "$FSCK" ]; then
	echo "1..0 # SKIP rowsh or fsck.rowfs not built"
	exit 0
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
# expect NAME STATUS OUTFILE PATTERN [STATUS-WANTED]: status and an output line.
expect() {
	if [ "$2" = "$5" ] && grep -q -- "$4" "$3"; then
		ok "$1"
	else
		not_ok "$1" "status $2 (expected $5), no line matching '$4' in:" "$(head -20 "$3")"
	fi
}

db=$tmp/good.db
awk 'BEGIN { for (i = 1; i <= 200; i++) printf "insert %d user%d\n", i, i }' |
	timeout "$T" "$ROWSH" "$db" >/dev/null 2>&1

# 1: clean.
fsck "$db" >"$tmp/out" 2>&1
expect "clean database: exit 0, summary line" $? "$tmp/out" \
	"^$db: clean, 200 rows, [0-9]* pages\$" 0

# 2: -v adds statistics.
fsck -v "$db" >"$tmp/out" 2>&1
expect "-v prints statistics" $? "$tmp/out" "^$db: 200 rows, depth 2, " 0

# 3-4: usage errors and missing files are operational errors (8).
bad=""
for args in "" "-x $db" "--nope $db" "$db $db"; do
	# shellcheck disable=SC2086 # word splitting of args is intended
	fsck $args >/dev/null 2>"$tmp/err"
	st=$?
	if [ $st -ne 8 ] || [ ! -s "$tmp/err" ]; then
		bad="$bad [$args: status $st]"
	fi
done
fsck --help >"$tmp/out" 2>&1 && grep -q '^usage: fsck.rowfs' "$tmp/out" || bad="$bad [--help]"
fsck -V >"$tmp/out" 2>&1 && grep -q '^fsck.rowfs (rowfs) [0-9]' "$tmp/out" || bad="$bad [-V]"
if [ -z "$bad" ]; then
	ok "usage errors exit 8 with a message; --help and -V exit 0"
else
	not_ok "usage errors exit 8 with a message; --help and -V exit 0" "$bad"
fi
fsck "$tmp/missing.db" >"$tmp/out" 2>&1
st=$?
if [ $st -eq 8 ] && grep -q 'No such file' "$tmp/out" && [ ! -e "$tmp/missing.db" ] &&
	[ ! -e "$tmp/missing.db-wal" ]; then
	ok "missing file: exit 8, nothing created"
else
	not_ok "missing file: exit 8, nothing created" "status $st" "$(cat "$tmp/out")"
fi
fsck "$tmp" >"$tmp/out" 2>&1
expect "a directory: exit 8" $? "$tmp/out" "not a regular file" 8
cp "$db" "$tmp/fifowal.db"
mkfifo "$tmp/fifowal.db-wal"
fsck "$tmp/fifowal.db" >"$tmp/out" 2>&1
expect "a FIFO as the WAL: exit 8 at once, no hang" $? "$tmp/out" "not a regular file" 8

# 5-7: not a database: bad magic, garbage, truncated.
cp "$db" "$tmp/magic.db"
printf 'R' | dd of="$tmp/magic.db" bs=1 seek=0 conv=notrunc 2>/dev/null
fsck "$tmp/magic.db" >"$tmp/out" 2>&1
expect "bad magic: exit 4, 'not a rowfs database'" $? "$tmp/out" \
	"^$tmp/magic.db: not a rowfs database" 4
awk 'BEGIN { srand(7); for (i = 0; i < 9000; i++) printf "%c", 32 + int(rand() * 90) }' \
	>"$tmp/garbage.db"
fsck "$tmp/garbage.db" >"$tmp/out" 2>&1
expect "garbage file: exit 4" $? "$tmp/out" "^$tmp/garbage.db: 1 problem found\$" 4
head -c 40 "$db" >"$tmp/short.db"
fsck "$tmp/short.db" >"$tmp/out" 2>&1
expect "file shorter than a header: exit 4" $? "$tmp/out" "too short" 4

# 8-10: damaged trees, found at computed offsets.
root=$(le32 "$db" 24)
left=$(le32 "$db" $((root * 4096 + 14)))
cp "$db" "$tmp/sibling.db"
put32 "$tmp/sibling.db" $((left * 4096 + 10)) 0
fsck "$tmp/sibling.db" >"$tmp/out" 2>&1
st=$?
if [ $st -eq 4 ] && grep -q "^$tmp/sibling.db: Page $left: next leaf is 0, expected" "$tmp/out" &&
	grep -q "^$tmp/sibling.db: [0-9]* problems* found\$" "$tmp/out"; then
	ok "broken sibling pointer: exit 4, the page named"
else
	not_ok "broken sibling pointer: exit 4, the page named" "status $st" "$(cat "$tmp/out")"
fi
cp "$db" "$tmp/twice.db"
put32 "$tmp/twice.db" $((root * 4096 + 10)) "$left"
fsck "$tmp/twice.db" >"$tmp/out" 2>&1
expect "a page referenced twice: exit 4" $? "$tmp/out" \
	"Page $left: referenced more than once" 4
cp "$db" "$tmp/swap.db"
dd if="$db" of="$tmp/swap.db" bs=1 skip=$((left * 4096 + 14)) seek=$((left * 4096 + 54)) \
	count=40 conv=notrunc 2>/dev/null
dd if="$db" of="$tmp/swap.db" bs=1 skip=$((left * 4096 + 54)) seek=$((left * 4096 + 14)) \
	count=40 conv=notrunc 2>/dev/null
fsck "$tmp/swap.db" >"$tmp/out" 2>&1
expect "swapped cells in a leaf: exit 4" $? "$tmp/out" "Page $left: keys out of order" 4

# 11: a running rowsh holds the lock: operational error.
mkfifo "$tmp/fifo"
timeout "$T" "$ROWSH" "$tmp/live.db" <"$tmp/fifo" >"$tmp/holder.out" 2>&1 &
holder=$!
exec 3>"$tmp/fifo"
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "insert %d live%d\n", i, i }' >&3
printf 'select\n' >&3
i=0
while ! grep -q '^(300, live300)$' "$tmp/holder.out" 2>/dev/null && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
fsck "$tmp/live.db" >"$tmp/out" 2>&1
expect "database in use: exit 8, 'database is locked'" $? "$tmp/out" "database is locked" 8

# 12-13: the files as a crash would leave them (rows only in the WAL) are
# clean, and fsck changes neither file.
cp "$tmp/live.db" "$tmp/crash.db"
cp "$tmp/live.db-wal" "$tmp/crash.db-wal"
exec 3>&-
wait "$holder"
holder=""
sum_before=$(cksum <"$tmp/crash.db")$(cksum <"$tmp/crash.db-wal")
fsck -v "$tmp/crash.db" >"$tmp/out" 2>&1
st=$?
grep -q "^$tmp/crash.db: WAL: [1-9][0-9]* frames" "$tmp/out" || st="$st, WAL empty"
expect "crash state (rows in the WAL): exit 0" "$st" "$tmp/out" \
	"^$tmp/crash.db: clean, 300 rows" 0
sum_after=$(cksum <"$tmp/crash.db")$(cksum <"$tmp/crash.db-wal")
cp "$db" "$tmp/nowal.db"
fsck "$tmp/nowal.db" >/dev/null 2>&1
fsck "$tmp/sibling.db" >/dev/null 2>&1
if [ "$sum_before" = "$sum_after" ] && [ ! -e "$tmp/nowal.db-wal" ] &&
	[ ! -e "$tmp/sibling.db-wal" ]; then
	ok "fsck writes nothing (files unchanged, no WAL created)"
else
	not_ok "fsck writes nothing (files unchanged, no WAL created)" \
		"$sum_before" "$sum_after" "$(ls "$tmp")"
fi

# An emptied DBFILE beside a log that holds frames is damage, not a new
# database: fsck, rowsh and the engine refuse to start over the log.
: >"$tmp/crash.db"
sum_before=$(cksum <"$tmp/crash.db-wal")
fsck "$tmp/crash.db" >"$tmp/out" 2>&1
expect "emptied database file beside a log: exit 4" $? "$tmp/out" \
	"is empty but its log .* holds [0-9]* bytes" 4
printf 'select\n' | timeout 10 "$top_builddir/src/rowsh" "$tmp/crash.db" >"$tmp/out" 2>&1
st=$?
if [ "$st" -ne 0 ] && grep -q "refusing to start a new database" "$tmp/out" &&
	[ "$(cksum <"$tmp/crash.db-wal")" = "$sum_before" ] && [ ! -s "$tmp/crash.db" ]; then
	ok "rowsh refuses an emptied database file beside a log and changes nothing"
else
	not_ok "rowsh refuses an emptied database file beside a log" "exit $st" "$(cat "$tmp/out")"
fi

echo "1..$n"
exit $fail
