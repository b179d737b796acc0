#!/bin/sh
# t1100-options.sh - daemon options: -o ro / --ro (EROFS on ctl, files
# unchanged), sync=full|normal|off in both spellings, bad values refused
# with a message, cache_pages=16 with 2000 rows, wal_limit, ctl_memory
# (a partial line past it fails with ENOBUFS), --help, --version, unknown
# options, auto_unmount.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse

# sums: checksums of the database and its WAL (if any).
sums() {
	for f in "$db" "$db-wal"; do
		if [ -e "$f" ]; then cksum <"$f"; else echo "absent"; fi
	done
}

# 1: a database with five rows, left with a non-empty WAL by kill -9.
mount_rowfs || not_ok "mount"
printf 'insert %d r%d\n' 1 1 2 2 3 3 4 4 5 5 >"$mnt/ctl"
kill_daemon 9
t fusermount3 -u "$mnt" 2>/dev/null || t fusermount3 -uz "$mnt"
before=$(sums)
if [ -s "$db-wal" ]; then ok "setup: five rows, WAL not checkpointed"; else skip "setup: WAL was empty"; fi

# 2-6: -o ro.
if mount_rowfs -o ro; then ok "-o ro: mounts"; else not_ok "-o ro: mounts"; fi
out=$(t "$WRTEST" "$mnt/ctl" 'insert 9 x\n')
expect "-o ro: opening ctl for writing fails with EROFS" "open -1 EROFS" "$out"
if ! (echo "insert 9 x" >"$mnt/ctl") 2>"$work/err" && grep -q "Read-only file system" "$work/err"; then
	ok "-o ro: echo > ctl says Read-only file system"
else
	not_ok "-o ro: echo > ctl says Read-only file system" "$(cat "$work/err")"
fi
expect "-o ro: rows readable" "$(printf '1\tr1\n2\tr2\n3\tr3\n4\tr4\n5\tr5')" "$(t cat "$mnt/rows")"
if umount_rowfs; then ok "-o ro: clean unmount"; else not_ok "-o ro: clean unmount"; fi
expect "-o ro: DBFILE and WAL unchanged (checksums)" "$before" "$(sums)"

# 7: --ro is the same.
mount_rowfs --ro || not_ok "--ro: mounts"
out=$(t "$WRTEST" "$mnt/ctl" 'insert 9 x\n')
umount_rowfs || not_ok "--ro: clean unmount"
if [ "$out" = "open -1 EROFS" ] && [ "$before" = "$(sums)" ]; then
	ok "--ro: EROFS, files unchanged"
else
	not_ok "--ro: EROFS, files unchanged" "$out"
fi

# 8-13: sync modes, both spellings.
id=100
for opt in "-o sync=full" "-o sync=normal" "-o sync=off" "--sync=full" "--sync=normal" "--sync=off"; do
	id=$((id + 1))
	# shellcheck disable=SC2086 # opt is two words on purpose
	if mount_rowfs $opt && echo "insert $id s$id" >"$mnt/ctl" && umount_rowfs &&
		rows_of "$db" | grep -q -x "$id	s$id"; then
		ok "$opt: accepted, row kept"
	else
		not_ok "$opt: accepted, row kept"
	fi
done

# 14-22: bad values are refused with a message, and nothing is mounted.
for opt in "-o sync=fast" "--sync=" "-o cache_pages=abc" "-o cache_pages=0" \
	"--cache_pages=-5" "-o wal_limit=lots" "-o ctl_memory=0" "--ctl_memory=64k" \
	"-o no_such_option"; do
	# shellcheck disable=SC2086
	if t "$ROWFS" -f $opt "$db" "$mnt" >"$work/out" 2>&1; then
		not_ok "$opt: refused" "exit status 0"
		t fusermount3 -u "$mnt"
	elif [ -s "$work/out" ] && ! mountpoint -q "$mnt"; then
		ok "$opt: refused ($(head -n 1 "$work/out"))"
	else
		not_ok "$opt: refused with a message" "$(cat "$work/out")"
	fi
done

# 23-25: cache_pages=16 with 2000 rows (shuffled ids).
awk 'BEGIN { for (i = 1; i <= 2000; i++) printf "insert %d c%d\n", 1000 + (i * 7919) % 2000, i }' \
	>"$work/2000.in"
mount_rowfs -o cache_pages=16 || not_ok "cache_pages=16: mount"
t cat "$work/2000.in" >"$mnt/ctl"
t cat "$mnt/rows" >"$work/rows"
if [ "$(wc -l <"$work/rows")" = 2011 ] && cut -f1 "$work/rows" | sort -n -c 2>/dev/null; then
	ok "cache_pages=16: 2000 more rows, sorted"
else
	not_ok "cache_pages=16: 2000 more rows, sorted" "$(wc -l <"$work/rows") lines"
fi
if grep -q -x "cache_pages: 16" "$mnt/stats"; then
	ok "cache_pages=16: stats shows it"
else
	not_ok "cache_pages=16: stats shows it" "$(cat "$mnt/stats")"
fi
umount_rowfs || not_ok "cache_pages=16: clean unmount"
if [ -x "$FSCK" ]; then
	if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "cache_pages=16: fsck clean"; else
		not_ok "cache_pages=16: fsck clean" "$(cat "$work/out")"; fi
else
	skip "fsck.rowfs not built"
fi

# 26: wal_limit.
if mount_rowfs -o wal_limit=64k && awk 'BEGIN { for (i = 5000; i < 5300; i++) printf "insert %d w\n", i }' \
	>"$mnt/ctl" && [ "$(t cat "$mnt/rows" | wc -l)" = 2311 ] && umount_rowfs; then
	ok "-o wal_limit=64k: accepted, rows kept"
else
	not_ok "-o wal_limit=64k: accepted, rows kept"
fi

# 27: ctl_memory=1M: nine writes of 120000 bytes make a partial line that
# passes it (the line buffer doubles to 1 MiB, then cannot grow): the line
# fails with ENOBUFS and says why, the next line runs.
x=$(awk 'BEGIN { s = "xxxxxxxxxx"; while (length(s) < 120000) s = s s; print substr(s, 1, 120000) }')
if mount_rowfs -o ctl_memory=1M; then
	t "$WRTEST" -r "$mnt/ctl" "insert 7 $x" "$x" "$x" "$x" "$x" "$x" "$x" "$x" "$x" \
		'\ninsert 8 no\n' 'insert 9 yes\n' >"$work/out"
	{
		echo 120009
		for i in 1 2 3 4 5 6 7 8; do echo 120000; done
		printf -- '-1 ENOBUFS\n13\n--\n'
		printf 'Error: out of buffer space: ctl handles hold 1048576 bytes of partial lines'
		printf ' and replies (limit 1048576); write shorter lines or read the replies\n'
		printf 'Executed.\nclose 0\n'
	} >"$work/exp"
	check "-o ctl_memory=1M: a partial line past it fails with ENOBUFS" "$work/exp" "$work/out"
	expect "-o ctl_memory=1M: only the next line ran" "9	yes" \
		"$(t cat "$mnt/rows" | grep -E '^(7|8|9)	')"
	umount_rowfs || not_ok "ctl_memory: clean unmount"
else
	not_ok "-o ctl_memory=1M: mount"
fi

# 28-29: --help and --version.
if t "$ROWFS" --help >"$work/out" 2>&1 && grep -q "usage:" "$work/out" &&
	grep -q "sync=" "$work/out" && grep -q "cache_pages=" "$work/out" &&
	grep -q "ctl_memory=" "$work/out"; then
	ok "--help: usage and the rowfs options, exit 0"
else
	not_ok "--help: usage and the rowfs options, exit 0" "$(head -5 "$work/out")"
fi
if t "$ROWFS" --version >"$work/out" 2>&1 && grep -q "^rowfs version [0-9]" "$work/out"; then
	ok "--version: $(head -n 1 "$work/out")"
else
	not_ok "--version" "$(cat "$work/out")"
fi

# 30: auto_unmount: the mount goes away by itself when the daemon dies.
# libfuse's watcher (fusermount3) looks its mount up in /proc/mounts, and
# a read of that file can miss an entry while other mounts come and go
# (parallel make check): up to three tries.
tries=0
gone=no
while [ $tries -lt 3 ] && [ $gone = no ]; do
	tries=$((tries + 1))
	mount_rowfs -o auto_unmount || { not_ok "auto_unmount: mount"; break; }
	kill_daemon 9
	# Until the watcher has unmounted, the mountpoint is either still
	# mounted or a dead mount (stat fails with ENOTCONN, so `mountpoint`
	# says no): wait until it is a plain, readable directory again.
	i=0
	while { mountpoint -q "$mnt" 2>/dev/null || ! ls "$mnt" >/dev/null 2>&1; } &&
		[ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	if ! mountpoint -q "$mnt" 2>/dev/null && ls "$mnt" >/dev/null 2>&1; then
		gone=yes
	else
		echo "# try $tries: still mounted $((i / 10))s after kill -9"
		t fusermount3 -u "$mnt" 2>/dev/null || t fusermount3 -uz "$mnt" 2>/dev/null
	fi
done
if [ $gone = yes ]; then
	ok "-o auto_unmount: unmounted after kill -9 (try $tries)"
else
	not_ok "-o auto_unmount: unmounted after kill -9"
fi

done_testing
