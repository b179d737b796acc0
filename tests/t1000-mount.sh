#!/bin/sh
# t1000-mount.sh - mount, the root's names, persistence across remounts, the
# tree of 200 rows, unmount by fusermount3/SIGTERM/SIGINT with exit status 0,
# daemonized start, relative paths, refusals (DBFILE inside MOUNTPOINT,
# locked database, stale mountpoint) and mount(8) with type fuse.rowfs.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse

# find_daemon MNT: PID of the process whose arguments include MNT exactly.
find_daemon() {
	for p in /proc/[0-9]*; do
		{ tr '\0' '\n' <"$p/cmdline"; } 2>/dev/null | grep -q -x -F "$1" && {
			echo "${p#/proc/}"
			return 0
		}
	done
	return 1
}

# wait_unlocked DB: until rowsh can open DB (the daemon has let it go).
wait_unlocked() {
	i=0
	while [ $i -lt $((T * 10)) ]; do
		printf 'select\n' | t "$ROWSH" "$1" >/dev/null 2>&1 && return 0
		sleep_a_bit
		i=$((i + 1))
	done
	return 1
}

# 1-2: mount; the tutorial rows through ctl.
if mount_rowfs; then ok "mount"; else not_ok "mount"; done_testing; fi
echo "insert 1 alice" >"$mnt/ctl"
echo "insert 2 bob" >"$mnt/ctl"
printf '1\talice\n2\tbob\n' >"$work/exp"
t cat "$mnt/rows" >"$work/out"
check "two inserts through ctl, cat rows" "$work/exp" "$work/out"

# 3: the directory lists exactly the names of the root with their modes;
# each file's st_size is what cat reads (streams: ctl, changes, check show 0;
# stats and log vary).
# shellcheck disable=SC2012 # the listing itself is under test
(cd "$mnt" && ls -1 | while read -r f; do
	if [ -d "$f" ] || [ "$f" = ctl ] || [ "$f" = changes ] || [ "$f" = check ]; then
		size=0
	else
		size=$(cat "$f" | wc -c)
	fi
	stat -c "%A %s %n $size" "$f"
done) >"$work/out" 2>&1
cat >"$work/exp" <<EOF
-r--r--r-- 35 btree 35
drwxr-xr-x 0 by-id 0
-r--r--r-- 0 changes 0
-r--r--r-- 0 check 0
-r--r--r-- 133 constants 133
-rw------- 0 ctl 0
-r--r--r-- 41 dump 41
dr-xr-xr-x 0 first 0
dr-xr-xr-x 0 last 0
-r--r--r-- L log L
dr-xr-xr-x 0 range 0
-r--r--r-- 14 rows 14
-r--r--r-- 26 rows.csv 26
-r--r--r-- 54 rows.ndjson 54
-r--r--r-- S stats S
drwxr-xr-x 0 tables 0
EOF
sed -e 's/^\(-r--r--r--\) \([0-9]*\) stats \2$/\1 S stats S/' \
	-e 's/^\(-r--r--r--\) \([0-9]*\) log \2$/\1 L log L/' "$work/out" >"$work/out2"
check "ls: ctl 0600, the generated files 0444 with the st_size cat reads, by-id/ 0755, range/ first/ last/ 0555, tables/ 0755" \
	"$work/exp" "$work/out2"
if ls -l "$mnt" >/dev/null 2>&1; then ok "ls -l works"; else not_ok "ls -l works"; fi

# 4-5: 198 more rows in one write, then a clean unmount.
awk 'BEGIN { for (i = 3; i <= 200; i++) printf "insert %d user%d\n", i, i }' >"$work/200.in"
if t cat "$work/200.in" >"$mnt/ctl"; then ok "198 inserts in one write"; else not_ok "198 inserts in one write"; fi
if umount_rowfs; then ok "fusermount3 -u: daemon exits 0"; else not_ok "fusermount3 -u: daemon exits 0"; fi

# 6-7: remount: 200 rows, depth 2.
mount_rowfs || not_ok "remount"
count=$(t cat "$mnt/rows" | wc -l)
expect "remount: 200 rows" 200 "$count"
t cat "$mnt/btree" >"$work/btree"
if awk '
	NR == 1 { if ($0 !~ /^internal \(page [0-9]+\): [0-9]+ keys \[[0-9, ]*\]$/) bad = 1; next }
	/^  leaf \(page [0-9]+\): [0-9]+ cells keys \[[0-9]+\.\.[0-9]+\]$/ { leaves++; cells += $4; next }
	{ bad = 1 }
	END { exit !(NR >= 3 && !bad && leaves >= 2 && cells == 200) }' "$work/btree"; then
	ok "btree: an internal root over indented leaves (depth 2)"
else
	not_ok "btree: an internal root over indented leaves (depth 2)" "$(cat "$work/btree")"
fi

# 8-9: SIGTERM unmounts cleanly and keeps every row.
awk 'BEGIN { for (i = 201; i <= 250; i++) printf "insert %d user%d\n", i, i }' >"$mnt/ctl"
kill_daemon TERM
expect "SIGTERM: daemon exits 0" 0 "$daemon_status"
if ! mountpoint -q "$mnt" && [ "$(rows_of "$db" | wc -l)" = 250 ]; then
	ok "SIGTERM: unmounted, all 250 rows kept"
else
	not_ok "SIGTERM: unmounted, all 250 rows kept" "$(rows_of "$db" | wc -l) rows"
fi

# 10: SIGINT likewise.
mount_rowfs || not_ok "mount for SIGINT"
echo "insert 251 sigint" >"$mnt/ctl"
kill_daemon INT
if [ "$daemon_status" = 0 ] && ! mountpoint -q "$mnt" && rows_of "$db" | grep -q -x "251	sigint"; then
	ok "SIGINT: exit 0, unmounted, row kept"
else
	not_ok "SIGINT: exit 0, unmounted, row kept" "status $daemon_status"
fi

# 11-12: daemonized start returns once the mount is usable.
if t "$ROWFS" "$db" "$mnt" >"$work/out" 2>&1; then
	if mountpoint -q "$mnt" && [ "$(t wc -l <"$mnt/rows")" = 251 ]; then
		ok "daemonized: returns with the mount ready"
	else
		not_ok "daemonized: returns with the mount ready"
	fi
else
	not_ok "daemonized: returns with the mount ready" "$(cat "$work/out")"
fi
bg=$(find_daemon "$mnt")
if printf 'select\n' | t "$ROWSH" "$db" 2>&1 | grep -q "database is locked"; then
	ok "daemonized: the detached daemon holds the lock"
else
	not_ok "daemonized: the detached daemon holds the lock"
fi
if t fusermount3 -u "$mnt" && wait_unlocked "$db"; then
	ok "daemonized: fusermount3 -u ends the daemon and frees the database"
else
	not_ok "daemonized: fusermount3 -u ends the daemon and frees the database"
	[ -n "$bg" ] && kill "$bg" 2>/dev/null
fi

# 13: relative DBFILE and MOUNTPOINT (resolved before the daemon detaches).
mkdir "$work/mnt-rel"
if (cd "$work" && t "$ROWFS" rel.db mnt-rel) >"$work/out" 2>&1 &&
	echo "insert 7 rel" >"$work/mnt-rel/ctl" && [ -f "$work/rel.db" ] &&
	[ "$(cat "$work/mnt-rel/rows")" = "7	rel" ]; then
	ok "relative DBFILE and MOUNTPOINT"
else
	not_ok "relative DBFILE and MOUNTPOINT" "$(cat "$work/out")"
fi
t fusermount3 -u "$work/mnt-rel" 2>/dev/null
wait_unlocked "$work/rel.db"

# 14: DBFILE inside MOUNTPOINT is refused.
if t "$ROWFS" -f "$mnt/inner.db" "$mnt" >"$work/out" 2>&1; then
	not_ok "DBFILE inside MOUNTPOINT refused" "it mounted"
	t fusermount3 -u "$mnt"
elif grep -q "inside" "$work/out" && ! mountpoint -q "$mnt"; then
	ok "DBFILE inside MOUNTPOINT refused"
else
	not_ok "DBFILE inside MOUNTPOINT refused" "$(cat "$work/out")"
fi

# 15: a second daemon on a locked database.
mount_rowfs || not_ok "mount for the lock test"
mkdir "$work/mnt2"
if t "$ROWFS" -f "$db" "$work/mnt2" >"$work/out" 2>&1; then
	not_ok "second daemon: database is locked" "it started"
	t fusermount3 -u "$work/mnt2"
elif grep -q "database is locked" "$work/out" && ! mountpoint -q "$work/mnt2"; then
	ok "second daemon: 'database is locked', non-zero exit, no mount"
else
	not_ok "second daemon: database is locked" "$(cat "$work/out")"
fi

# 16-17: a stale mountpoint (daemon killed) is named, with the remedy.
kill_daemon 9
if t "$ROWFS" -f "$db" "$mnt" >"$work/out" 2>&1; then
	not_ok "stale mountpoint: refused with the fusermount3 -u remedy" "it mounted"
elif grep -q "fusermount3 -u" "$work/out"; then
	ok "stale mountpoint: refused with the fusermount3 -u remedy"
else
	not_ok "stale mountpoint: refused with the fusermount3 -u remedy" "$(cat "$work/out")"
fi
t fusermount3 -u "$mnt" 2>/dev/null || t fusermount3 -uz "$mnt" 2>/dev/null
if mount_rowfs && [ "$(t cat "$mnt/rows" | wc -l)" = 251 ] && umount_rowfs; then
	ok "after kill -9 and fusermount3 -u: remount, rows intact, clean exit"
else
	not_ok "after kill -9 and fusermount3 -u: remount, rows intact, clean exit"
fi

# 18: mount(8) through mount.fuse3, which runs `rowfs DBFILE MNT -o OPTS` as
# for an fstab line of type fuse.rowfs.  mount(8) clears PATH for helpers,
# so the uninstalled binary is named with the type-fuse form PROGRAM#DBFILE.
# Root and mount.fuse3 only.
if [ "$(id -u)" = 0 ] && command -v mount.fuse3 >/dev/null 2>&1; then
	abs_rowfs=$(cd "$(dirname "$ROWFS")" && pwd)/rowfs
	if t mount -t fuse -o sync=normal,cache_pages=64 "$abs_rowfs#$db" "$mnt" \
		>"$work/out" 2>&1 && mountpoint -q "$mnt" &&
		[ "$(t cat "$mnt/rows" | wc -l)" = 251 ]; then
		ok "mount -t fuse ROWFS#DBFILE MNT -o sync=normal,cache_pages=64"
	else
		not_ok "mount -t fuse ROWFS#DBFILE MNT -o sync=normal,cache_pages=64" "$(cat "$work/out")"
	fi
	t umount "$mnt" 2>/dev/null
	wait_unlocked "$db" || not_ok "umount ends the daemon"
else
	skip "mount -t fuse.rowfs needs root and mount.fuse3"
fi

done_testing
