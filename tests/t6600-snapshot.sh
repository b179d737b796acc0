#!/bin/sh
# t6600-snapshot.sh - snapshot readers through the mount:
#   - rows, rows.csv, rows.ndjson, range/A-B, first/N, last/N and dump,
#     opened and read a little before a bulk load (inserts between and
#     after the existing keys, updates, deletes) that another process runs
#     through ctl, then read to the end: exactly the rows that existed at
#     open (content compared, so the count is exact);
#   - a by-id/ listing (python3: opendir, some entries, the load, the
#     rest): exactly the keys at open;
#   - the load completes while all those readers are held open;
#   - a snapshot opened while a transaction is open does not see its rows,
#     even after the commit; btree and stats show the committed state (the
#     cache and snapshot lines of stats describe the daemon, not the data)
#     during the open transaction;
#   - expiry: with -o snapshot_pages=16, a reader held open while writers
#     change many pages fails its next read with ESTALE ("Stale file
#     handle"); opening the file again works.
# ROWFS_T6600_ROWS sets the table size (default 20000).  TAP.

# shellcheck disable=SC2016,SC2317 # awk programs are single-quoted; helpers are called through fails_with
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
rows=${ROWFS_T6600_ROWS:-20000}

# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
close_fds() { exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-; }
at_exit close_fds

mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

# The table: even keys 2 .. 2*rows, names bI.
awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++) printf "insert %d b%d\n", 2 * i, 2 * i }' >"$ctl"
awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++) printf "%d\tb%d\n", 2 * i, 2 * i }' >"$work/base"
t cat "$mnt/rows" >"$work/out"
check "the table: $rows rows" "$work/base" "$work/out"
lo=$((rows / 2))
hi=$((rows / 2 + 300))

# The load: every odd key, 2000 keys past the end, an update of each key
# = 2 mod 20 and a delete of each key = 0 mod 20; about 120 writes of 500
# lines each.
awk -v n="$rows" 'BEGIN {
	for (i = 1; i <= 2 * n + 1; i += 2) printf "insert %d n%d\n", i, i
	for (i = 2 * n + 2; i <= 2 * n + 4000; i += 2) printf "insert %d n%d\n", i, i
	for (i = 2; i <= 2 * n; i += 20) printf "update %d u%d\n", i, i
	for (i = 20; i <= 2 * n; i += 20) printf "delete %d\n", i }' >"$work/load"
split -l 500 "$work/load" "$work/load."

# run_load: the load through ctl in another process, one write per part,
# then a checkpoint (the WAL goes into the file under the readers);
# its status in $load_status (124 if it did not finish within $T s).
run_load() {
	(for p in "$work"/load.*; do cat "$p" || exit 1; done; echo .checkpoint) >"$ctl" \
		2>"$work/load.err" &
	load_pid=$!
	i=0
	while alive "$load_pid" && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
	if alive "$load_pid"; then
		kill "$load_pid" 2>/dev/null
		wait "$load_pid" 2>/dev/null
		load_status=124
	else
		wait "$load_pid"
		load_status=$?
	fi
}

# --- streamed files opened before the load -----------------------------------
exec 3<"$mnt/rows" 4<"$mnt/rows.csv" 5<"$mnt/range/$lo-$hi" 6<"$mnt/last/100" \
	7<"$mnt/rows.ndjson" 8<"$mnt/first/300" 9<"$mnt/dump"
for f in 3 4 5 6 7 8 9; do
	# one read of each (dd reads fd 0, which shares the offset of fd $f)
	eval "dd bs=1000 count=1 <&$f >\"$work/head.$f\" 2>/dev/null"
done

dirlist=""
if command -v python3 >/dev/null 2>&1; then
	# opendir, 50 entries, then wait for "go", then the rest
	python3 - "$mnt/by-id" "$work/dir.ready" "$work/dir.go" >"$work/dir.out" 2>&1 <<'EOF' &
import os, sys, time
it = os.scandir(sys.argv[1])
names = [next(it).name for _ in range(50)]
open(sys.argv[2], "w").close()
for _ in range(600):
    if os.path.exists(sys.argv[3]):
        break
    time.sleep(0.05)
names += [e.name for e in it]
print("\n".join(names))
EOF
	dirlist=$!
	i=0
	while [ ! -e "$work/dir.ready" ] && alive "$dirlist" && [ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
fi

run_load
expect "the load ran to the end while 8 readers were held open" 0 "$load_status"
[ -s "$work/load.err" ] && echo "# load: $(head -3 "$work/load.err")"
awk -v n="$rows" 'BEGIN {
	for (i = 1; i <= 2 * n + 1; i++) {
		if (i % 2) printf "%d\tn%d\n", i, i
		else if (i % 20 == 2) printf "%d\tu%d\n", i, i
		else if (i % 20) printf "%d\tb%d\n", i, i }
	for (i = 2 * n + 2; i <= 2 * n + 4000; i += 2) printf "%d\tn%d\n", i, i }' >"$work/after"
t cat "$mnt/rows" >"$work/out"
check "a new open of rows sees the whole load" "$work/after" "$work/out"
: >"$work/dir.go"

for f in 3 4 5 6 7 8 9; do
	eval "t cat <&$f >\"$work/tail.$f\""
	cat "$work/head.$f" "$work/tail.$f" >"$work/snap.$f"
done
n_base=$(wc -l <"$work/base" | tr -d ' ')
check "rows opened before the load: exactly the $n_base rows at open" "$work/base" "$work/snap.3"
{ echo id,username; tr '\t' , <"$work/base"; } >"$work/exp"
check "rows.csv: exactly the rows at open" "$work/exp" "$work/snap.4"
awk -F '\t' -v lo="$lo" -v hi="$hi" '$1 >= lo && $1 <= hi' "$work/base" >"$work/exp"
check "range/$lo-$hi: exactly its $(wc -l <"$work/exp" | tr -d ' ') rows at open" "$work/exp" "$work/snap.5"
tail -n 100 "$work/base" >"$work/exp"
check "last/100: the last 100 rows at open (none of the keys loaded past the end)" "$work/exp" "$work/snap.6"
awk -F '\t' '{ printf "{\"id\":%d,\"username\":\"%s\"}\n", $1, $2 }' "$work/base" >"$work/exp"
check "rows.ndjson: exactly the rows at open" "$work/exp" "$work/snap.7"
head -n 300 "$work/base" >"$work/exp"
check "first/300: the first 300 rows at open" "$work/exp" "$work/snap.8"
{ echo begin; sed 's/^\([0-9]*\)\t/insert \1 /' "$work/base"; echo commit; } >"$work/exp"
check "dump: the rows at open" "$work/exp" "$work/snap.9"
exec 3<&- 4<&- 5<&- 6<&- 7<&- 8<&- 9<&-

if [ -n "$dirlist" ]; then
	i=0
	while alive "$dirlist" && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
	kill "$dirlist" 2>/dev/null
	wait "$dirlist"
	cut -f1 "$work/base" >"$work/exp"
	check "by-id/ listing opened before the load: exactly the keys at open" "$work/exp" "$work/dir.out"
else
	skip "by-id/ listing: python3 not installed"
fi
cp "$work/after" "$work/base"

# --- snapshots and an open transaction ---------------------------------------
t cat "$mnt/btree" >"$work/btree.before"
t grep -v -e '^cache_' -e '^statements:' -e '^errors:' -e '^snapshot' "$mnt/stats" >"$work/stats.before"
exec 3<>"$ctl"
echo begin >&3
awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "insert %d t%d\n", 10000000 + i, i }' >&3
exec 4<"$mnt/rows"
t cat "$mnt/btree" >"$work/out"
check "btree during an open transaction (that split leaves): the committed tree" \
	"$work/btree.before" "$work/out"
t grep -v -e '^cache_' -e '^statements:' -e '^errors:' -e '^snapshot' "$mnt/stats" >"$work/out"
check "stats during an open transaction: the committed state" "$work/stats.before" "$work/out"
echo commit >&3
exec 3>&-
t cat <&4 >"$work/out"
exec 4<&-
check "rows opened during the transaction, read after its commit: without its rows" \
	"$work/base" "$work/out"
awk 'BEGIN { for (i = 1; i <= 1000; i++) printf "%d\tt%d\n", 10000000 + i, i }' >>"$work/base"
t cat "$mnt/rows" >"$work/out"
check "a new open after the commit: with them" "$work/base" "$work/out"
if t cmp -s "$mnt/btree" "$work/btree.before"; then
	not_ok "btree after the commit: the new tree" "it did not change"
else
	ok "btree after the commit: the new tree"
fi
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi

# --- expiry ------------------------------------------------------------------
db=$work/expiry.db
mount_rowfs -o snapshot_pages=16 || { not_ok "mount -o snapshot_pages=16"; done_testing; }
awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++) printf "insert %d e%d\n", i, i }' >"$ctl"
exec 4<"$mnt/rows"
dd bs=1000 count=1 <&4 >/dev/null 2>&1
# 20 writes, each updating a row in every 20th leaf: well over 16 pages
w=0
while [ $w -lt 20 ]; do
	awk -v n="$rows" -v w="$w" 'BEGIN { for (i = 1 + w * 5; i <= n; i += 2000) printf "update %d x%d\n", i, i }' >"$ctl" ||
		break
	w=$((w + 1))
done
expect "20 writers changing many pages ran while the reader was open" 20 "$w"
read_fd4() { t cat <&4 >/dev/null; }
fails_with "the held reader's next read fails: Stale file handle" "Stale file handle" read_fd4
expect "stats: snapshots_expired: 1" "snapshots_expired: 1" "$(t grep '^snapshots_expired:' "$mnt/stats")"
exec 4<&-
awk -v n="$rows" 'BEGIN { for (i = 1; i <= n; i++) {
	u = 0; for (w = 0; w < 20; w++) if (i >= 1 + w * 5 && (i - 1 - w * 5) % 2000 == 0) u = 1
	printf "%d\t%s%d\n", i, u ? "x" : "e", i } }' >"$work/exp"
t cat "$mnt/rows" >"$work/out" 2>"$work/err"
check "opening rows again works and shows the updates" "$work/exp" "$work/out"
# a reader that stays within the bound does not expire
exec 4<"$mnt/rows"
dd bs=1000 count=1 <&4 >"$work/head" 2>/dev/null
echo "update 1 y1" >"$ctl"
t cat <&4 >"$work/out" 2>"$work/err"
exec 4<&-
cat "$work/head" "$work/out" >"$work/snap"
check "after one small write the held reader still reads its snapshot" "$work/exp" "$work/snap"
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "fsck clean"; else not_ok "fsck clean" "$(cat "$work/out")"; fi

done_testing
