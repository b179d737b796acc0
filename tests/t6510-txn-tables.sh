#!/bin/sh
# t6510-txn-tables.sh - transactions across tables survive kill -9 of the
# daemon all or nothing (Part 2: create table, insert into, update,
# delete from, begin/commit spanning tables).
#
# Two tables, a(id integer primary key, v text, n integer) and
# b(id integer primary key, ref integer not null, payload text).  A writer
# sends up to 2000 batches to ctl, one write() each (250 to a run of
# tests/wrtest, which prints what each write() returned): begin, inserts into both tables
# (one row, a column list, several rows in one statement, NULLs), an
# update of a row of a and a delete of a row of b that the batch before
# inserted, commit; every fifth batch is the same statements without
# begin/commit (one write() is one transaction as well).  The daemon is
# killed with kill -9 at once and after random delays of 0.02..0.62 s
# (two fixed seeds, then random ones; cache_pages=8 in every third
# trial).  Then:
#   - fsck.rowfs exits 0 on the files as the kill left them;
#   - after the remount, `select * from a` and `from b` through ctl are
#     exactly the state after the acknowledged batches, or after those and
#     the one batch that was in flight: the same for both tables (never
#     one table with it and the other without); count(*) agrees;
#   - `cat check` says ok, the unmount is clean, fsck.rowfs exits 0.
# DDL in a transaction: begin, create table c, ROWFS_T6510_ROWS inserts
# into it (default 20000; several write requests) and a few into a,
# commit; killed before the commit (also with cache_pages=8: the
# transaction outgrows the cache), after cat returned, and at random
# moments up to 1.5 times as long as that cat took.  After the remount c exists with every row and
# a has its rows, or c does not exist and a is as before.
# ROWFS_KILL_TRIALS sets the number of random kill moments (default 4).
# TAP.

# shellcheck disable=SC2016 # awk programs are single-quoted
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
trials=${ROWFS_KILL_TRIALS:-4}
batches=2000
ddl_rows=${ROWFS_T6510_ROWS:-20000}
A="create table a (id integer primary key, v text, n integer)"
B="create table b (id integer primary key, ref integer not null, payload text)"

# The batches, one a line, newlines as \n for wrtest (no other backslash
# occurs); their lengths in bytes to batches.len.  Batch k (ids 10k+1..3):
#   a: (10k+1, 'it''s k', k), (10k+2, 'a2-k', k), (10k+3, NULL, k)
#   b: (10k+1, 10k+1, P), (10k+2, 10k+2, 'q'), (10k+3, 10k+3, NULL), P
#      "p", the id, "_" and 10..39 letters
#   update a set v = 'upd k', n = -k where id = 10(k-1)+1
#   delete from b where id = 10(k-1)+2
awk -v n="$batches" -v lens="$work/batches.len" '
function payload(id) { return "p" id "_" substr(pad, 1, 10 + id % 30) }
BEGIN {
	pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	for (k = 1; k <= n; k++) {
		i = 10 * k
		s = sprintf("insert into a values (%d, '\''it'\'''\''s %d'\'', %d)\n", i + 1, k, k)
		s = s sprintf("insert into a (id, v, n) values (%d, '\''a2-%d'\'', %d), (%d, null, %d)\n",
			i + 2, k, k, i + 3, k)
		s = s sprintf("insert into b values (%d, %d, '\''%s'\''), (%d, %d, '\''q'\'')\n",
			i + 1, i + 1, payload(i + 1), i + 2, i + 2)
		s = s sprintf("insert into b (id, ref) values (%d, %d)\n", i + 3, i + 3)
		s = s sprintf("update a set v = '\''upd %d'\'', n = -%d where id = %d\n", k, k, i - 9)
		s = s sprintf("delete from b where id = %d\n", i - 8)
		if (k % 5 != 0)
			s = "begin\n" s "commit\n"
		print length(s) >lens
		gsub(/\n/, "\\n", s)
		print s
	}
}' >"$work/batches"
# the writer's wrtest runs take 250 batches each (bounded argument lists)
(cd "$work" && split -l 250 batches chunk.)

# model K TABLE: the rows of TABLE after batches 1..K, as select prints them.
model() {
	awk -v k="$1" -v tbl="$2" '
	function payload(id) { return "p" id "_" substr(pad, 1, 10 + id % 30) }
	BEGIN {
		pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		for (b = 1; b <= k; b++) for (j = 1; j <= 3; j++) {
			id = 10 * b + j
			if (tbl == "a") {
				v = j == 1 ? "it'\''s " b : j == 2 ? "a2-" b : "NULL"; n = b
				if (j == 1 && b < k) { v = "upd " (b + 1); n = -(b + 1) }
				printf "(%d, %s, %d)\n", id, v, n
			} else if (j != 2 || b == k) {
				printf "(%d, %d, %s)\n", id, id, j == 1 ? payload(id) : j == 2 ? "q" : "NULL"
			}
		}
	}'
}

# sel STATEMENT: its reply lines through a ctl handle of its own.
sel() {
	t "$WRTEST" -r "$mnt/ctl" "$1\\n" | sed -e '1,/^--$/d' -e '/^close /d'
}

# rows_of_table T: select * from T, "(no rows)" dropped.
rows_of_table() { sel "select * from $1" | grep -v '^(no rows)$'; }

# setup: a fresh database with tables a and b (empty).
setup() {
	db=$work/k$n.db
	mount_rowfs "$@" || return 1
	t "$WRTEST" "$mnt/ctl" "$A\\n$B\\n" >"$work/out"
	[ "$(head -n 1 "$work/out")" = $((${#A} + ${#B} + 2)) ] && return 0
	umount_rowfs
	return 1
}

# crash_checks NAME: after the kill: unmount the dead mount, fsck the files
# as they are, remount.
crash_checks() {
	kill_daemon 9
	unmount_quietly "$mnt"
	fsck_ok "$1: on the files the kill left"
	mount_rowfs || { not_ok "$1: remount"; return 1; }
}

# final_checks NAME: check ok, clean unmount, fsck.
final_checks() {
	expect "$1: cat check says ok" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
	if umount_rowfs; then ok "$1: clean unmount"; else not_ok "$1: clean unmount"; fi
	fsck_ok "$1: after the unmount"
}

# --- batches over both tables, kill -9 at a random moment ---------------------
# batch_trial NAME DELAY [OPTS...]
batch_trial() {
	name=$1
	delay=$2
	shift 2
	setup "$@" || { not_ok "$name: setup (mount, create tables)"; return; }
	(
		for c in "$work"/chunk.*; do
			(
				set -f
				IFS='
'
				# shellcheck disable=SC2046 # one argument per line of the chunk
				exec "$WRTEST" "$mnt/ctl" $(cat "$c")
			) || exit
		done
	) >"$work/written.raw" 2>&1 &
	wpid=$!
	sleep "$delay"
	kill -9 "$daemon_pid" 2>/dev/null
	i=0
	while alive "$wpid" && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	grep -v '^close ' "$work/written.raw" >"$work/written"
	# acknowledged: the leading writes that returned their whole length
	acked=$(paste "$work/written" "$work/batches.len" |
		awk -F '\t' '$1 != $2 { exit } { k++ } END { print k + 0 }')
	sed -n "$((acked + 1)),\$p" "$work/written" | grep -v '^-1 \|^open -1 ' >"$work/after"
	if [ -s "$work/after" ]; then
		not_ok "$name: after the first failed write, only failures ($acked acknowledged)" \
			"$(head -5 "$work/after")"
	else
		ok "$name: after the first failed write, only failures ($acked acknowledged)"
	fi
	crash_checks "$name" || return
	for tbl in a b; do
		rows_of_table $tbl >"$work/got.$tbl"
		model "$acked" $tbl >"$work/exp0.$tbl"
		model $((acked + 1)) $tbl >"$work/exp1.$tbl"
	done
	outcome=""
	cmp -s "$work/got.a" "$work/exp0.a" && cmp -s "$work/got.b" "$work/exp0.b" &&
		outcome="the $acked acknowledged batches"
	cmp -s "$work/got.a" "$work/exp1.a" && cmp -s "$work/got.b" "$work/exp1.b" &&
		outcome="the $acked acknowledged batches and the one in flight"
	if [ -n "$outcome" ]; then
		ok "$name: a and b hold $outcome"
	else
		not_ok "$name: a and b hold the acknowledged batches, the one in flight all or nothing" \
			"$acked acknowledged; a: $(wc -l <"$work/got.a") rows, b: $(wc -l <"$work/got.b") rows" \
			"$(diff "$work/exp0.a" "$work/got.a" | head -5)" \
			"$(diff "$work/exp0.b" "$work/got.b" | head -5)"
	fi
	expect "$name: count(*) of a and b agree" \
		"($(wc -l <"$work/got.a" | tr -d ' ')) ($(wc -l <"$work/got.b" | tr -d ' '))" \
		"$(sel 'select count(*) from a' | tr '\n' ' ')$(sel 'select count(*) from b')"
	final_checks "$name"
}

# --- DDL in the transaction ---------------------------------------------------
# ddl.batch: begin, create table c, $ddl_rows inserts into c, 3 into a, commit.
awk -v n="$ddl_rows" 'BEGIN { print "begin"
	print "create table c (id integer primary key, w text not null, x real)"
	for (i = 1; i <= n; i++) printf "insert into c values (%d, '\''w%d'\'', %d.5)\n", i * 7, i, i
	for (i = 1; i <= 3; i++) printf "insert into a values (%d, '\''ddl'\'', %d)\n", 900000 + i, i
	print "commit" }' >"$work/ddl.batch"
head -n $((ddl_rows + 4)) "$work/ddl.batch" >"$work/ddl.nocommit"
awk -v n="$ddl_rows" 'BEGIN { for (i = 1; i <= n; i++) printf "(%d, w%d, %d.5)\n", i * 7, i, i }' \
	>"$work/ddl.c"
printf '(11, before, 1)\n' >"$work/ddl.a0"
printf '(11, before, 1)\n(900001, ddl, 1)\n(900002, ddl, 2)\n(900003, ddl, 3)\n' >"$work/ddl.a1"
NOTABLE="Error: no such table: c"

# ddl_trial NAME MODE DELAY [OPTS...]: MODE fast (cat ddl.batch > ctl,
# killed DELAY s later), nocommit (all but the commit written, the handle
# open), done (killed after cat returned).
ddl_trial() {
	name=$1
	mode=$2
	delay=$3
	shift 3
	setup "$@" || { not_ok "$name: setup (mount, create tables)"; return; }
	printf "insert into a values (11, 'before', 1)\n" >"$mnt/ctl"
	rm -f "$work/written"
	start=$(date +%s%N)
	case $mode in
	fast) cat "$work/ddl.batch" >"$mnt/ctl" 2>/dev/null & ;;
	nocommit)
		(cat "$work/ddl.nocommit" && : >"$work/written" && exec sleep "$T") >"$mnt/ctl" 2>/dev/null &
		;;
	"done") t cat "$work/ddl.batch" >"$mnt/ctl" && : >"$work/written" ;;
	esac
	wpid=$!
	if [ "$mode" = "done" ]; then
		ddl_ms=$((($(date +%s%N) - start) / 1000000))
		echo "# $name: cat took ${ddl_ms} ms"
	fi
	if [ "$mode" = nocommit ]; then
		i=0
		while [ ! -e "$work/written" ] && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
	fi
	sleep "$delay"
	if [ "$mode" != "done" ]; then
		kill -9 "$daemon_pid" 2>/dev/null
		[ "$mode" = nocommit ] && kill "$wpid" 2>/dev/null   # the sleep: it never writes
		i=0
		while alive "$wpid" && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
	fi
	crash_checks "$name" || return
	count=$(sel 'select count(*) from c')
	rows_of_table a >"$work/got.a"
	outcome=partial
	if [ "$count" = "$NOTABLE" ] && cmp -s "$work/got.a" "$work/ddl.a0"; then
		outcome=none
	elif [ "$count" = "($ddl_rows)" ] && cmp -s "$work/got.a" "$work/ddl.a1"; then
		outcome=all
	fi
	case "$mode:$outcome" in
	nocommit:none | done:all | fast:all | fast:none)
		ok "$name: after the remount, $outcome of the transaction (table c and rows of a)" ;;
	*) not_ok "$name: after the remount, all or none of the transaction as expected" \
		"outcome $outcome; count(*) from c: $count" "a: $(tr '\n' ' ' <"$work/got.a")" ;;
	esac
	final_checks "$name"
	if [ "$outcome" = all ]; then
		printf 'select * from c\n' | rsh "$db" >"$work/got.c"
		check "$name: rowsh on the unmounted file: every row of c" "$work/ddl.c" "$work/got.c"
	fi
}

ddl_ms=200
ddl_trial "DDL transaction, killed after cat returned" "done" 0
ddl_trial "DDL transaction, killed before its commit" nocommit 0
ddl_trial "DDL transaction, cache_pages=8, killed before its commit" nocommit 0 -o cache_pages=8
window=$ddl_ms
batch_trial "batches, killed at once" 0
k=1
while [ "$k" -le "$trials" ]; do
	# the fixed seed first, then the test's PID
	s=$k
	[ "$k" -gt 2 ] && s="$$$k"
	d=$(awk -v s="$s" 'BEGIN { srand(s); printf "%.2f", 0.02 + rand() * 0.6 }')
	if [ $((k % 3)) -eq 0 ]; then
		batch_trial "batches, cache_pages=8, killed after ${d}s" "$d" -o cache_pages=8
	else
		batch_trial "batches, killed after ${d}s" "$d"
	fi
	d=$(awk -v s="$s" -v w="$window" 'BEGIN { srand(s + 7); printf "%.3f", rand() * w * 1.5 / 1000 }')
	ddl_trial "DDL transaction, killed after ${d}s" fast "$d"
	k=$((k + 1))
done

done_testing
