#!/bin/sh
# t4300-upgrade.sh - the in-place upgrade of a version-1 database (Part 1's
# format) to version 2 at its first read-write open, under kill -9.
#
# tests/mkv1db writes a version-1 file of 100,000 rows (ids 2, 4, ...)
# and a WAL of committed transactions on top of it (inserts of the odd ids
# into every leaf, an update and a delete each), so that the upgrade runs
# after a replay and a checkpoint; it prints the rows the pair holds.
#   - read-only readers leave a version-1 pair byte-identical (DBFILE and
#     WAL): fsck.rowfs, fsck.rowfs --salvage (which holds every row), a
#     `-o ro` mount (which shows every row, check ok), a rowsh refused
#     while that mount holds the file; a version-1 file without a WAL gets
#     none from `-o ro`;
#   - rowsh upgrades (every row, version 2, fsck clean); a read-write
#     mount upgrades: every row, `cat check` ok, the header's magic
#     "rowfs format 2" after the mount, fsck.rowfs clean; the upgraded
#     database takes a `create table` and inserts, which survive a
#     remount; also with free pages in the version-1 file (which the new
#     table's pages may reuse);
#   - kill -9 of `rowfs -f` at several moments of its open, aimed with
#     tests/killwhen: when DBFILE grows (the replay's checkpoint writes new
#     pages), when the WAL grows (its page images), when it is reset, when
#     it grows again (the upgrade's checkpoint block, the header still
#     version 1), when the header turns to version 2 (the block still in
#     the WAL); also at once and after random delays up to the time a
#     clean upgrade took (with cache_pages=16 in every other trial).  Each
#     time fsck.rowfs exits 0 on the files as the kill left them, which
#     are version 1 or 2, and its salvage holds every row; the remount
#     shows every row, in version 2, check ok; then the unmount is clean
#     and fsck.rowfs exits 0.
# ROWFS_KILL_TRIALS sets the number of random delays (default 4),
# ROWFS_T4300_ROWS the rows of the file (default 100000).  TAP.

# shellcheck disable=SC2016,SC2317 # awk programs are single-quoted; at_* are called through kill_trial
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
MKV1=$top_builddir/tests/mkv1db
KILLWHEN=$top_builddir/tests/killwhen
for p in "$MKV1" "$KILLWHEN"; do
	[ -x "$p" ] || { not_ok "$p is built (make check builds it)"; done_testing; }
done
rows=${ROWFS_T4300_ROWS:-100000}
trials=${ROWFS_KILL_TRIALS:-4}
V1="rowfs format 1"
V2="rowfs format 2"

# magic FILE: the first 14 bytes of the header ("rowfs format N").
magic() { head -c 14 "$1" 2>/dev/null | tr -d '\000'; }

# fresh NAME: a copy of the pristine version-1 pair as $work/NAME.db
# (the WAL too), which becomes $db.
fresh() {
	db=$work/$1.db
	cp "$work/v1.db" "$db" && cp "$work/v1.db-wal" "$db-wal"
}

# same_files NAME: DBFILE and WAL byte-identical to the pristine pair.
same_files() {
	if cmp -s "$work/v1.db" "$db" && cmp -s "$work/v1.db-wal" "$db-wal"; then
		ok "$1: DBFILE and WAL byte-identical"
	else
		not_ok "$1: DBFILE and WAL byte-identical" \
			"$(cmp "$work/v1.db" "$db" 2>&1; cmp "$work/v1.db-wal" "$db-wal" 2>&1)"
	fi
}

# salvage_has_all NAME: fsck.rowfs --salvage of $db holds every users row.
salvage_has_all() {
	if ! t "$FSCK" --salvage -o "$work/salvage.out" "$db" >"$work/fsck.out" 2>&1; then
		not_ok "$1: fsck.rowfs --salvage exits 0" "$(head -20 "$work/fsck.out")"
		return
	fi
	# the seed form, and the SQL form of a name starting with "--" (a
	# comment in the seed form since Part 2)
	sed -n -e 's/^insert \([0-9][0-9]*\) \(.*\)$/\1\t\2/p' \
		-e "s/^insert into users values (\([0-9][0-9]*\), '\(.*\)')\$/\1\t\2/p" \
		"$work/salvage.out" | sort -n >"$work/salvaged"
	check "$1: fsck.rowfs --salvage holds every row" "$work/expected" "$work/salvaged"
}

# rows_ok NAME: cat rows of the mount is exactly the expected rows.
rows_ok() {
	t cat "$mnt/rows" >"$work/out"
	if cmp -s "$work/expected" "$work/out"; then
		ok "$1: cat rows shows every row ($nrows)"
	else
		not_ok "$1: cat rows shows every row ($nrows)" "$(wc -l <"$work/out") rows" \
			"$(diff "$work/expected" "$work/out" | head -10)"
	fi
}

# upgraded_ok NAME: after a read-write mount: every row, check ok,
# version 2 on disk; then a clean unmount, version 2, fsck clean.
upgraded_ok() {
	rows_ok "$1"
	expect "$1: cat check says ok" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
	expect "$1: the header says version 2 while mounted" "$V2" "$(magic "$db")"
	if umount_rowfs; then ok "$1: clean unmount"; else not_ok "$1: clean unmount"; fi
	expect "$1: the header says version 2 after the unmount" "$V2" "$(magic "$db")"
	fsck_ok "$1: after the unmount"
}

# The pristine pair and its rows.
if ! t "$MKV1" -p -s 4300 -t 2 -w 200 -r 500 "$work/v1.db" "$rows" >"$work/expected"; then
	not_ok "mkv1db writes the version-1 pair"
	done_testing
fi
nrows=$(wc -l <"$work/expected" | tr -d ' ')
echo "# version-1 file: $(wc -c <"$work/v1.db") bytes, WAL $(wc -c <"$work/v1.db-wal") bytes, $nrows rows once replayed"
expect "mkv1db: the file says version 1" "$V1" "$(magic "$work/v1.db")"

# --- read-only readers leave version 1 as it is -------------------------------
fresh ro
fsck_ok "untouched version 1"
same_files "fsck.rowfs on version 1"
salvage_has_all "untouched version 1"
same_files "fsck.rowfs --salvage on version 1"
if mount_rowfs -o ro; then
	rows_ok "-o ro on version 1"
	expect "-o ro on version 1: cat check says ok" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
	expect "-o ro on version 1: the header still says version 1" "$V1" "$(magic "$db")"
	fails_with "rowsh while the -o ro mount holds it: database is locked" \
		"database is locked" rsh "$db" </dev/null
	if umount_rowfs; then ok "-o ro: clean unmount"; else not_ok "-o ro: clean unmount"; fi
else
	not_ok "-o ro mount of version 1"
fi
same_files "a -o ro mount of version 1"
# a version-1 file without a WAL: -o ro creates none
cp "$work/v1.db" "$work/nowal.db"
db=$work/nowal.db
if mount_rowfs -o ro; then
	t cat "$mnt/rows" >/dev/null
	umount_rowfs || not_ok "-o ro without a WAL: clean unmount"
fi
if cmp -s "$work/v1.db" "$db" && [ ! -e "$db-wal" ]; then
	ok "-o ro on version 1 without a WAL: DBFILE unchanged, no WAL created"
else
	not_ok "-o ro on version 1 without a WAL: DBFILE unchanged, no WAL created" \
		"$(cmp "$work/v1.db" "$db" 2>&1; ls -l "$db-wal" 2>&1)"
fi

# --- a clean upgrade ----------------------------------------------------------
# rowsh opens read-write too
fresh rowsh
printf 'select\n' | rsh "$db" | sed -n 's/^(\([0-9]*\), \(.*\))$/\1\t\2/p' >"$work/out"
check "rowsh on version 1: every row" "$work/expected" "$work/out"
expect "rowsh on version 1: the file is version 2 after it" "$V2" "$(magic "$db")"
fsck_ok "rowsh on version 1, then"
fresh clean
start=$(date +%s%N)
if mount_rowfs; then
	ready_ms=$((($(date +%s%N) - start) / 1000000))
	echo "# the upgrading mount was ready after ${ready_ms} ms"
	upgraded_ok "upgrade"
	# the upgraded database takes tables, and keeps them
	mount_rowfs || not_ok "upgrade: remount"
	stmts="create table t (id integer primary key, v text)
insert into t values (1, 'one'), (2, 'two')
insert 4000000000 four"
	t "$WRTEST" -r "$mnt/ctl" "$stmts\n" >"$work/out"
	expect "upgrade: create table, insert into it and into users (one write)" \
		"$(printf '%s\n' $((${#stmts} + 1)) -- Executed. Executed. Executed. 'close 0')" \
		"$(cat "$work/out")"
	umount_rowfs || not_ok "upgrade: clean unmount after the table"
	mount_rowfs || not_ok "upgrade: remount after the table"
	t "$WRTEST" -r "$mnt/ctl" 'select * from t\n' >"$work/out"
	expect "upgrade: the table survives the remount" \
		"$(printf '%s\n' 16 -- '(1, one)' '(2, two)' 'close 0')" "$(cat "$work/out")"
	{ cat "$work/expected"; printf '4000000000\tfour\n'; } >"$work/exp"
	t cat "$mnt/rows" >"$work/out"
	check "upgrade: users has every row and the new one" "$work/exp" "$work/out"
	expect "upgrade: cat check says ok" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
	umount_rowfs || not_ok "upgrade: clean unmount"
	fsck_ok "upgrade, then a table"
else
	ready_ms=300
	not_ok "upgrade: mount"
fi
[ "$ready_ms" -lt 100 ] && ready_ms=100

# version 1 with free pages, which the new table's pages may reuse
if t "$MKV1" -p -s 4301 -F 5 -w 3 -r 10 "$work/free.db" 1000 >"$work/free.expected"; then
	db=$work/free.db
	if mount_rowfs; then
		t cat "$mnt/rows" >"$work/out"
		check "version 1 with 5 free pages: every row after the upgrade" "$work/free.expected" "$work/out"
		expect "version 1 with 5 free pages: check ok" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
		stmts="create table f (id integer primary key, w blob)
insert into f values (1, x'00ff')
select * from f"
		t "$WRTEST" -r "$mnt/ctl" "$stmts\n" >"$work/out"
		expect "version 1 with 5 free pages: a table in it" \
			"$(printf '%s\n' $((${#stmts} + 1)) -- Executed. Executed. "(1, x'00ff')" 'close 0')" \
			"$(cat "$work/out")"
		expect "version 1 with 5 free pages: check ok with the table" ok \
			"$(t cat "$mnt/check" 2>&1 | head -5)"
		umount_rowfs || not_ok "version 1 with 5 free pages: clean unmount"
		expect "version 1 with 5 free pages: version 2" "$V2" "$(magic "$db")"
		fsck_ok "version 1 with 5 free pages, upgraded"
	else
		not_ok "version 1 with 5 free pages: mount"
	fi
else
	not_ok "mkv1db -F 5"
fi

# --- kill -9 during the upgrading open ----------------------------------------
# start_daemon [OPTS...]: rowfs -f OPTS $db $mnt in the background.
start_daemon() {
	echo "# start: rowfs -f $* $db $mnt" >>"$log"
	"$ROWFS" -f "$@" "$db" "$mnt" >>"$log" 2>&1 &
	daemon_pid=$!
	echo "$daemon_pid" >"$work/daemon.pid"
}

# size FILE: its size in bytes (0 when missing).
size() { stat -c %s "$1" 2>/dev/null || echo 0; }

# at COND...: tests/killwhen kills the daemon the moment the conditions
# held one after the other (or after 5 s); says which in a TAP comment.
at() {
	echo "# $name: $(t "$KILLWHEN" "$daemon_pid" 5000 "$@" 2>&1)"
}
at_db_grows() { at size-gt "$db" "$dbsize"; }
at_wal_grows() { at size-gt "$db-wal" "$walsize"; }
at_wal_reset() { at size-lt "$db-wal" "$walsize"; }
# the WAL reset by the replay's checkpoint, then the upgrade's block in it
at_wal_regrows() { at size-lt "$db-wal" "$walsize" size-gt "$db-wal" 32; }
at_header_v2() { at starts "$db" "$V2"; }

# kill_trial NAME MOMENT [OPTS...]: a fresh version-1 pair; rowfs -f OPTS
# on it, kill -9 at MOMENT (a delay in seconds, or an at_ function), then
# the checks.
kill_trial() {
	name=$1
	moment=$2
	shift 2
	fresh "k$n"
	dbsize=$(size "$db")
	walsize=$(size "$db-wal")
	start_daemon "$@"
	case $moment in
	at_*) "$moment" ;;
	0) ;;
	*) sleep "$moment" ;;
	esac
	kill -9 "$daemon_pid" 2>/dev/null
	wait_daemon
	unmount_quietly "$mnt"
	echo "# $name: left version '$(magic "$db")', DBFILE $(size "$db") bytes (was $dbsize)," \
		"WAL $(size "$db-wal") bytes (was $walsize)"
	case $(magic "$db") in
	"$V1" | "$V2") ok "$name: the kill left a header of version 1 or 2" ;;
	*) not_ok "$name: the kill left a header of version 1 or 2" "$(head -c 16 "$db" | od -c)" ;;
	esac
	fsck_ok "$name: on the files the kill left"
	salvage_has_all "$name: on the files the kill left"
	if mount_rowfs; then
		upgraded_ok "$name: remount"
	else
		not_ok "$name: remount"
	fi
}

kill_trial "killed at once" 0
kill_trial "killed when DBFILE grows" at_db_grows
kill_trial "killed when the WAL grows" at_wal_grows
kill_trial "killed when the WAL is reset" at_wal_reset
kill_trial "killed when the WAL grows again after its reset" at_wal_regrows
kill_trial "killed when the header says version 2" at_header_v2
kill_trial "cache_pages=16, killed when the WAL grows" at_wal_grows -o cache_pages=16
k=1
while [ "$k" -le "$trials" ]; do
	# the fixed seed first, then the test's PID: a delay in 0 .. ready_ms
	s=$k
	[ "$k" -gt 2 ] && s="$$$k"
	d=$(awk -v s="$s" -v r="$ready_ms" 'BEGIN { srand(s); printf "%.3f", rand() * r / 1000 }')
	if [ $((k % 2)) -eq 0 ]; then
		kill_trial "cache_pages=16, killed after ${d}s" "$d" -o cache_pages=16
	else
		kill_trial "killed after ${d}s" "$d"
	fi
	k=$((k + 1))
done

done_testing
