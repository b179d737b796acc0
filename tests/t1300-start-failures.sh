#!/bin/sh
# t1300-start-failures.sh - a start that fails leaves no DBFILE and no WAL
# behind (a bad rowfs option, an unknown libfuse option, a missing or
# non-directory mountpoint, a DBFILE inside the mountpoint, a mount the
# kernel refuses after the database was opened), a DBFILE that existed
# before keeps its rows and bytes, mounting over a live rowfs mount is
# refused with "MNT is already a rowfs mount (of DBFILE)" (another
# database or the same one), and df / df -i of a mount show room: blocks
# and inodes available, never 100% in use.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse

# files DB: which of DB and DB-wal exist.
files() {
	for f in "$1" "$1-wal"; do
		if [ -e "$f" ]; then printf '%s ' "${f##*/}"; fi
	done
	echo "."
}

# fails_clean NAME DB CMD...: CMD (a rowfs start) fails with a message on
# stderr, mounts nothing and leaves neither DB nor DB-wal.
fails_clean() {
	name=$1
	target=$2
	shift 2
	if t "$@" >"$work/out" 2>&1; then
		not_ok "$name: refused" "exit status 0"
		unmount_quietly "$mnt"
		return
	fi
	if [ ! -s "$work/out" ]; then
		not_ok "$name: refused with a message"
	elif mountpoint -q "$mnt"; then
		not_ok "$name: nothing mounted"
	else
		expect "$name: no DBFILE, no WAL ($(head -n 1 "$work/out"))" "." "$(files "$target")"
	fi
}

new=$work/new.db
fails_clean "bad rowfs option -o sync=fast" "$new" "$ROWFS" -o sync=fast "$new" "$mnt"
fails_clean "unknown libfuse option -o no_such_option" "$new" \
	"$ROWFS" -o no_such_option "$new" "$mnt"
fails_clean "unknown long option --no-such" "$new" "$ROWFS" --no-such "$new" "$mnt"
fails_clean "missing mountpoint" "$new" "$ROWFS" "$new" "$work/nosuchdir"
: >"$work/plainfile"
fails_clean "mountpoint is a file" "$new" "$ROWFS" "$new" "$work/plainfile"
fails_clean "DBFILE inside the mountpoint" "$mnt/in.db" "$ROWFS" "$mnt/in.db" "$mnt"
fails_clean "missing DBFILE directory" "$work/nodir/x.db" "$ROWFS" "$work/nodir/x.db" "$mnt"
# blksize is fuseblk's: libfuse takes it, the kernel refuses the mount, so
# this start fails after the database was created and opened
fails_clean "mount refused by the kernel (-o blksize=4096)" "$new" \
	"$ROWFS" -o blksize=4096 "$new" "$mnt"
if grep -q "cannot mount" "$work/out"; then ok "-o blksize: says it cannot mount"; else
	not_ok "-o blksize: says it cannot mount" "$(cat "$work/out")"; fi

# A database that existed before: kept, byte for byte where nothing opened it.
printf 'insert 1 one\ninsert 2 two\n' | rsh "$db" >/dev/null
sum_before=$(cksum <"$db")
rows_before=$(rows_of "$db")
fails_clean_kept() {
	name=$1
	shift
	t "$@" >"$work/out" 2>&1
	st=$?
	files_after=$(files "$db")   # (before rowsh opens it)
	if [ "$st" -eq 0 ]; then
		not_ok "$name: refused" "exit status 0"
		unmount_quietly "$mnt"
	elif [ -e "$db" ] && [ "$(rows_of "$db")" = "$rows_before" ]; then
		ok "$name: the existing DBFILE and its rows stay"
	else
		not_ok "$name: the existing DBFILE and its rows stay" "$(files "$db")"
	fi
}
fails_clean_kept "existing DBFILE, -o no_such_option" "$ROWFS" -o no_such_option "$db" "$mnt"
expect "existing DBFILE, -o no_such_option: not even opened (same bytes)" "$sum_before" \
	"$(cksum <"$db")"
fails_clean_kept "existing DBFILE, missing mountpoint" "$ROWFS" "$db" "$work/nosuchdir"
fails_clean_kept "existing DBFILE, mount refused by the kernel" \
	"$ROWFS" -o blksize=4096 "$db" "$mnt"
# an existing DBFILE with no WAL yet: the WAL a failed start made goes, DBFILE stays
rm -f "$db-wal"
fails_clean_kept "existing DBFILE without a WAL, mount refused" \
	"$ROWFS" -o blksize=4096 "$db" "$mnt"
expect "... and the WAL it made is gone" "t.db ." "$files_after"


# Double mount: refused before any database is opened, with the message.
# shellcheck disable=SC2119 # no options
if mount_rowfs; then ok "mount"; else not_ok "mount"; fi
other=$work/other.db
t "$ROWFS" "$other" "$mnt" >"$work/out" 2>&1
st=$?
expect "a second rowfs on the same mountpoint (another DBFILE): the message" \
	"rowfs: $mnt is already a rowfs mount (of $db)" "$(cat "$work/out")"
if [ "$st" -ne 0 ] && [ "$(files "$other")" = "." ]; then
	ok "... exit status $st, no $other created"
else
	not_ok "... exit status non-zero, no file created" "status $st, $(files "$other")"
fi
t "$ROWFS" "$db" "$mnt" >"$work/out" 2>&1
expect "the same DBFILE again on the same mountpoint: the message" \
	"rowfs: $mnt is already a rowfs mount (of $db)" "$(cat "$work/out")"
(cd "$mnt/.." && t "$ROWFS" "$other" "./${mnt##*/}") >"$work/out" 2>&1
expect "a relative mountpoint names the same mount" \
	"rowfs: $mnt is already a rowfs mount (of $db)" "$(cat "$work/out")"
expect "the first mount still serves" "$(printf '1\tone\n2\ttwo')" "$(t cat "$mnt/rows")"

# df: room available, never 100%; used blocks are the pages in use.
printf 'insert %d x%d\n' 3 3 4 4 5 5 >"$mnt/ctl"
t df -P -k "$mnt" | awk 'NR == 2' >"$work/df"
read -r _ size used avail pct _ <"$work/df"
if [ "$avail" -gt 0 ] && [ "$pct" != "100%" ] && [ "$size" -ge $((used + avail)) ]; then
	ok "df: $avail KiB available, $pct used"
else
	not_ok "df: space available, not 100%" "$(cat "$work/df")"
fi
pages=$(t sed -n 's/^pages: //p' "$mnt/stats")
free=$(t sed -n 's/^free_pages: //p' "$mnt/stats")
expect "df: used = the pages in use (pages - free_pages) in KiB" $(((pages - free) * 4)) "$used"
disk_avail=$(df -P -k "$work" | awk 'NR == 2 { print $4 }')
# the two df calls see the disk a moment apart: allow 64 MiB of drift
diff=$((avail - free * 4 - disk_avail))
if [ "${diff#-}" -le 65536 ]; then
	ok "df: available = the free pages + what the filesystem under DBFILE has"
else
	not_ok "df: available = free pages + the disk's" "mount $avail, disk $disk_avail, free $free"
fi
t df -P -i "$mnt" | awk 'NR == 2' >"$work/df"
read -r _ inodes iused ifree ipct _ <"$work/df"
expect "df -i: inodes in use = rows" 5 "$iused"
if [ "$ifree" -gt 0 ] && [ "$ipct" != "100%" ] && [ "$inodes" -eq $((iused + ifree)) ]; then
	ok "df -i: $ifree free, $ipct used"
else
	not_ok "df -i: inodes free, not 100%" "$(cat "$work/df")"
fi
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi

done_testing
