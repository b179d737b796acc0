#!/bin/sh
# t6800-check.sh - the online integrity check, the file `check`:
#   - `ok` on a fresh database, and on one of 20000 rows;
#   - `ok` every time while a writer inserts, updates and deletes in
#     implicit and explicit transactions, and while a transaction is open;
#   - findings, not `ok`, when a leaf page of the database file is
#     overwritten with a copy of another leaf under the live daemon (small
#     page cache, WAL checkpointed, so the check reads the damaged page
#     from the file); fsck.rowfs then finds the same damage.
# ROWFS_T6800_ROUNDS sets the writer's rounds (default 200).  TAP.

# shellcheck disable=SC2016 # awk programs are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
rounds=${ROWFS_T6800_ROUNDS:-200}

# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
close_fds() { exec 3>&-; }
at_exit close_fds

mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

expect "check on an empty database: ok" ok "$(t cat "$mnt/check" 2>&1)"
awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "insert %d c%d\n", i * 2, i }' >"$ctl"
expect "check on 20000 rows: ok" ok "$(t cat "$mnt/check" 2>&1)"

# The writer: per round one write of 50 inserts, one of updates and
# deletes, and one explicit transaction (through a handle of its own).
(
	r=0
	while [ $r -lt "$rounds" ] && [ ! -e "$work/stop" ]; do
		awk -v r="$r" 'BEGIN { for (j = 0; j < 50; j++) printf "insert %d w%d\n", 100001 + 2 * (r * 50 + j), r }' >"$ctl" ||
			exit 1
		awk -v r="$r" 'BEGIN { for (j = 0; j < 20; j++) printf "update %d u%d\n", 2 * ((r * 97 + j * 13) % 20000 + 1), r
			for (j = 0; j < 10; j++) printf "delete %d\n", 100001 + 2 * (r * 50 + j) }' >"$ctl" ||
			exit 1
		awk -v r="$r" 'BEGIN { print "begin"
			for (j = 0; j < 30; j++) printf "insert %d t%d\n", 300001 + 2 * (r * 30 + j), r
			print "commit" }' >"$ctl" || exit 1
		r=$((r + 1))
	done
	echo "$r" >"$work/rounds"
) 2>"$work/writer.err" &
writer=$!
checks=0
notok=0
while [ $checks -lt 30 ] && alive "$writer"; do
	checks=$((checks + 1))
	t cat "$mnt/check" >"$work/check.$checks" 2>&1
	if [ "$(cat "$work/check.$checks")" != ok ]; then
		notok=$((notok + 1))
		echo "# check $checks: $(head -3 "$work/check.$checks")"
	fi
done
: >"$work/stop"
wait "$writer"
expect "the writer finished with status 0" 0 $?
echo "# $checks checks during $(cat "$work/rounds" 2>/dev/null) writer rounds"
expect "check during the writes: ok every time ($checks times)" 0 "$notok"
expect "checks ran while the writer ran" yes "$([ "$checks" -ge 2 ] && echo yes || echo no)"

exec 3>"$ctl"
printf 'begin\n' >&3
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "insert %d x%d\n", 1000000 + i, i }' >&3
expect "check during an open transaction of 2000 inserts: ok" ok "$(t cat "$mnt/check" 2>&1)"
echo commit >&3
exec 3>&-
expect "check after its commit: ok" ok "$(t cat "$mnt/check" 2>&1)"
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "fsck clean"; else not_ok "fsck clean" "$(cat "$work/out")"; fi

# --- damage under the live daemon ----------------------------------------------
# The files are this test's own; the daemon's unmount status is not
# required (it serves a corrupt database).
db=$work/damaged.db
mount_rowfs -o cache_pages=8 || { not_ok "mount -o cache_pages=8"; done_testing; }
awk 'BEGIN { for (i = 1; i <= 3000; i++) printf "insert %d d%d\n", i, i }' >"$ctl"
echo .checkpoint >"$ctl"
t cat "$mnt/btree" >"$work/btree"
leaf2=$(sed -n '3s/^  leaf (page \([0-9]*\)).*/\1/p' "$work/btree")
leaf15=$(sed -n '16s/^  leaf (page \([0-9]*\)).*/\1/p' "$work/btree")
expect "check before the damage: ok" ok "$(t cat "$mnt/check" 2>&1)"
if [ -n "$leaf2" ] && [ -n "$leaf15" ]; then
	t cat "$mnt/rows" >/dev/null   # the last leaves fill the 8-page cache
	dd if="$db" of="$work/page" bs=4096 skip="$leaf2" count=1 2>/dev/null
	dd if="$work/page" of="$db" bs=4096 seek="$leaf15" count=1 conv=notrunc 2>/dev/null
	t cat "$mnt/check" >"$work/out" 2>&1
	if grep -q "^Page $leaf15: " "$work/out" && ! grep -qx ok "$work/out"; then
		ok "check after leaf $leaf15 was overwritten with leaf $leaf2: findings on page $leaf15"
	else
		not_ok "check after leaf $leaf15 was overwritten with leaf $leaf2: findings on page $leaf15" \
			"$(head -5 "$work/out")"
	fi
	t fusermount3 -u "$mnt" 2>/dev/null || t fusermount3 -uz "$mnt" 2>/dev/null
	wait_daemon
	t "$FSCK" "$db" >"$work/fsck" 2>&1
	st=$?
	if [ $st = 4 ] && grep -q "Page $leaf15: " "$work/fsck"; then
		ok "fsck.rowfs agrees: status 4, findings on page $leaf15"
	else
		not_ok "fsck.rowfs agrees: status 4, findings on page $leaf15" "status $st" "$(head -5 "$work/fsck")"
	fi
else
	not_ok "btree names leaves 2 and 15" "$(head -20 "$work/btree")"
fi

done_testing
