#!/bin/sh
# t6500-txn.sh - explicit transactions per ctl handle through the mount:
#   - isolation: between `begin` and `commit` on one handle, `cat rows`,
#     `cat by-id/N`, `ls by-id`, a `select` on a second handle and the
#     `rows:` line of stats show none of its statements;
#   - a child that inherited the descriptor and exits (a flush) does not
#     end the transaction; `commit` makes everything visible;
#   - `rollback` and closing the handle without `commit` discard;
#   - EBUSY and "Error: database is busy" for another handle's insert and
#     begin, for writing by-id/N and for rm by-id/N while it is open;
#   - a failing statement inside it (duplicate key) fails only itself;
#   - `begin` twice, `commit` and `rollback` without one: their texts;
#   - `cat batch > ctl` with begin, 50,000 inserts (many write requests)
#     and commit is all-or-nothing across kill -9 of the daemon at several
#     moments (also before the commit), and fsck.rowfs exits 0 after;
#   - such a batch with a duplicate in the middle: cat fails, nothing of
#     the batch remains, the handle's transaction is gone.
# ROWFS_T6500_ROWS sets the batch size (default 50000), ROWFS_KILL_TRIALS
# the number of kills at random moments (default 4).  TAP.

# shellcheck disable=SC2016,SC2317 # awk programs are single-quoted; helpers are called through fails_with
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

# cat_to FILE DEST: cat FILE > DEST (cat reports the errno of a failed write).
cat_to() { t cat "$1" >"$2"; }

require_fuse
big=${ROWFS_T6500_ROWS:-50000}
trials=${ROWFS_KILL_TRIALS:-4}
BUSY="Error: database is busy: another handle has a transaction open"

# put FILE LINE: one line into FILE through coreutils' printf, which
# names the errno when the write fails (dash's builtin says "I/O error").
put() { t env printf '%s\n' "$2" >"$1"; }

# close_fds: the exit hook; our own descriptors on the mount go first, so
# that the unmount is not refused.
# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
close_fds() { exec 3>&- 4>&-; }
at_exit close_fds

mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

printf 'insert 1 one\ninsert 2 two\ninsert 3 three\n' >"$ctl"
printf '1\tone\n2\ttwo\n3\tthree\n' >"$work/base"

# committed_view WHAT: what the others must see while the transaction is
# open: rows, by-id/10, ls by-id, select on a second handle, stats rows.
committed_view() {
	t cat "$mnt/rows" >"$work/out"
	check "$1: cat rows shows only committed rows" "$work/base" "$work/out"
	fails_with "$1: cat by-id/10: No such file or directory" "No such file or directory" \
		t cat "$mnt/by-id/10"
	t ls -f "$mnt/by-id" >"$work/out"
	printf '.\n..\n1\n2\n3\n' >"$work/exp"
	check "$1: ls -f by-id lists only committed keys" "$work/exp" "$work/out"
	t "$WRTEST" -r "$ctl" 'select\n' >"$work/out"
	printf '7\n--\n(1, one)\n(2, two)\n(3, three)\nclose 0\n' >"$work/exp"
	check "$1: select on a second handle: the committed rows" "$work/exp" "$work/out"
	expect "$1: stats says rows: 3" "rows: 3" "$(t grep '^rows:' "$mnt/stats")"
	expect "$1: df's files in use (statfs) are the committed row count" 3 \
		"$(t stat -f -c '%c %d' "$mnt" | awk '{ print $1 - $2 }')"
}

# --- isolation, flush by a child, commit -------------------------------------
exec 3<>"$ctl"
echo begin >&3
printf 'insert 10 ten\ninsert 11 eleven\n' >&3
committed_view "open transaction"
# children that inherited fd 3 write and exit: each exit is a FLUSH
(printf 'insert 12 twelve\n') >&3
sh -c 'printf "insert 13 thirteen\n"' >&3
t cat "$mnt/rows" >"$work/out"
check "after children wrote to the handle and exited: still nothing visible" "$work/base" "$work/out"
t "$WRTEST" -r "$ctl" 'insert 50 x\n' >"$work/out"
printf -- '-1 EBUSY\n--\n%s\nclose 0\n' "$BUSY" >"$work/exp"
check "the transaction survived the children's flushes (another insert: EBUSY)" \
	"$work/exp" "$work/out"
echo commit >&3
t cat <&3 >"$work/out"
printf 'Executed.\nExecuted.\nExecuted.\nExecuted.\nExecuted.\nExecuted.\n' >"$work/exp"
check "the owner's replies: begin, 4 inserts, commit" "$work/exp" "$work/out"
printf '1\tone\n2\ttwo\n3\tthree\n10\tten\n11\televen\n12\ttwelve\n13\tthirteen\n' >"$work/base"
t cat "$mnt/rows" >"$work/out"
check "commit: every row of the transaction visible" "$work/base" "$work/out"
expect "commit: cat by-id/13" thirteen "$(t cat "$mnt/by-id/13" 2>&1)"
t "$WRTEST" -r "$ctl" 'insert 14 fourteen\n' >"$work/out"
printf '19\n--\nExecuted.\nclose 0\n' >"$work/exp"
check "after commit another handle writes again" "$work/exp" "$work/out"
printf '14\tfourteen\n' >>"$work/base"

# --- rollback ----------------------------------------------------------------
printf 'begin\ninsert 20 twenty\ndelete 1\nupdate 2 TWO\n' >&3
t "$WRTEST" -r "$ctl" 'select\n' >"$work/out"
{ echo 7; echo --; sed 's/^\([0-9]*\)\t\(.*\)$/(\1, \2)/' "$work/base"; echo "close 0"; } >"$work/exp"
check "insert, delete, update in a transaction: invisible to a second handle" "$work/exp" "$work/out"
echo rollback >&3
t cat "$mnt/rows" >"$work/out"
check "rollback: insert, delete and update all discarded" "$work/base" "$work/out"
t "$WRTEST" -r "$ctl" 'insert 15 fifteen\n' >"$work/out"
printf '18\n--\nExecuted.\nclose 0\n' >"$work/exp"
check "after rollback another handle writes again" "$work/exp" "$work/out"
printf '15\tfifteen\n' >>"$work/base"
exec 3>&-

# --- close without commit ----------------------------------------------------
exec 3>"$ctl"
printf 'begin\ninsert 30 thirty\nupdate 1 ONE\n' >&3
exec 3>&-
t cat "$mnt/rows" >"$work/out"
check "close without commit: nothing of the transaction remains" "$work/base" "$work/out"
t "$WRTEST" -r "$ctl" 'insert 16 sixteen\n' >"$work/out"
printf '18\n--\nExecuted.\nclose 0\n' >"$work/exp"
check "right after that close, another handle writes (the transaction is gone)" "$work/exp" "$work/out"
printf '16\tsixteen\n' >>"$work/base"
# a partial last line before the close: it runs at close, inside the
# transaction, and goes with it
exec 3>"$ctl"
printf 'begin\ninsert 31 x' >&3
exec 3>&-
t cat "$mnt/rows" >"$work/out"
check "close without commit, last line without newline: discarded too" "$work/base" "$work/out"

# The kernel sends RELEASE after close() returned: a write right after the
# owner's close must still find the transaction gone (the daemon waits a
# moment for a release when the owner was just flushed).  50 tries.
fails=0
i=0
while [ $i -lt 50 ]; do
	exec 3>"$ctl"
	printf 'begin\ninsert 40 forty\n' >&3
	exec 3>&-
	printf 'insert 41 x\ndelete 41\n' >"$ctl" 2>/dev/null || fails=$((fails + 1))
	i=$((i + 1))
done
expect "50 writes right after the owner's close: none EBUSY" 0 "$fails"

# --- EBUSY for the others ----------------------------------------------------
exec 3<>"$ctl"
printf 'begin\ninsert 40 forty\n' >&3
t "$WRTEST" -r "$ctl" 'insert 41 x\n' 'begin\n' 'select\n' >"$work/out"
{ printf -- '-1 EBUSY\n-1 EBUSY\n7\n--\n%s\n%s\n' "$BUSY" "$BUSY"
	sed 's/^\([0-9]*\)\t\(.*\)$/(\1, \2)/' "$work/base"; echo "close 0"; } >"$work/exp"
check "another handle: insert and begin fail with EBUSY and the text, select works" \
	"$work/exp" "$work/out"
fails_with "printf > ctl: $EBUSY" "$EBUSY" put "$ctl" "insert 41 x"
t "$WRTEST" "$mnt/by-id/2" 'other\n' >"$work/out"
expect "write by-id/2: EBUSY" "-1 EBUSY" "$(head -n 1 "$work/out")"
fails_with "echo x > by-id/2: $EBUSY" "$EBUSY" put "$mnt/by-id/2" other
fails_with "rm by-id/3: $EBUSY" "$EBUSY" t rm "$mnt/by-id/3"
fails_with "echo x > by-id/45 (a new row): $EBUSY" "$EBUSY" put "$mnt/by-id/45" new
echo commit >&3
t cat <&3 >"$work/out"
printf 'Executed.\nExecuted.\nExecuted.\n' >"$work/exp"
check "the owner's transaction went on undisturbed" "$work/exp" "$work/out"
printf '40\tforty\n' >>"$work/base"
sort -n "$work/base" >"$work/base.s" && mv "$work/base.s" "$work/base"
t cat "$mnt/rows" >"$work/out"
check "after commit: the owner's row; by-id/2, 3 and 45 unchanged" "$work/base" "$work/out"
exec 3>&-

# --- a failing statement inside a transaction --------------------------------
t "$WRTEST" -r "$ctl" 'begin\n' 'insert 50 fifty\n' 'insert 1 dup\n' 'insert 50 again\n' \
	'insert 51 fiftyone\n' 'commit\n' >"$work/out"
{ printf '6\n16\n-1 EEXIST\n-1 EEXIST\n19\n7\n--\n'
	printf '%s\n' Executed. Executed. "Error: duplicate key 1." "Error: duplicate key 50." \
		Executed. Executed. "close 0"; } >"$work/exp"
check "duplicate keys in a transaction fail only themselves (EEXIST, texts)" "$work/exp" "$work/out"
printf '50\tfifty\n51\tfiftyone\n' >>"$work/base"
sort -n "$work/base" >"$work/base.s" && mv "$work/base.s" "$work/base"
t cat "$mnt/rows" >"$work/out"
check "the rest of that transaction committed" "$work/base" "$work/out"
# the same inside one write(): the line before commits into the
# transaction (short count), the retry fails alone
t "$WRTEST" -r "$ctl" 'begin\ninsert 52 a\ninsert 2 dup\ninsert 53 b\n' 'insert 2 dup\ninsert 53 b\n' \
	'insert 53 b\ncommit\n' >"$work/out"
printf '18\n-1 EEXIST\n19\n--\nExecuted.\nExecuted.\n%s\nExecuted.\nExecuted.\nclose 0\n' \
	"Error: duplicate key 2." >"$work/exp"
check "duplicate in the middle of one write: short count, the retry fails alone" "$work/exp" "$work/out"
printf '52\ta\n53\tb\n' >>"$work/base"
sort -n "$work/base" >"$work/base.s" && mv "$work/base.s" "$work/base"
t cat "$mnt/rows" >"$work/out"
check "and the transaction committed the rest" "$work/base" "$work/out"

# --- transaction control errors ----------------------------------------------
t "$WRTEST" -r "$ctl" 'commit\n' 'rollback\n' 'begin\n' 'begin\n' 'rollback\n' 'rollback\n' >"$work/out"
printf -- '-1 EINVAL\n-1 EINVAL\n6\n-1 EINVAL\n9\n-1 EINVAL\n--\n%s\n%s\n%s\n%s\n%s\n%s\nclose 0\n' \
	"Error: cannot commit - no transaction is active" \
	"Error: cannot rollback - no transaction is active" Executed. \
	"Error: cannot start a transaction within a transaction" Executed. \
	"Error: cannot rollback - no transaction is active" >"$work/exp"
check "commit/rollback without, begin within a transaction: errno and texts" "$work/exp" "$work/out"
t cat "$mnt/rows" >"$work/out"
check "nothing changed by them" "$work/base" "$work/out"

# --- a batch with a duplicate in the middle ----------------------------------
awk -v n="$big" 'BEGIN { print "begin"
	for (i = 1; i <= n; i++) { printf "insert %d batch%d\n", 1000000 + i, i
		if (i == int(n / 2)) print "insert 2 duplicate" }
	print "commit" }' >"$work/dupbatch"
fails_with "cat batch with a duplicate in the middle > ctl: File exists" "File exists" \
	cat_to "$work/dupbatch" "$ctl"
t cat "$mnt/rows" >"$work/out"
check "nothing of that batch remains" "$work/base" "$work/out"
t "$WRTEST" -r "$ctl" 'insert 60 sixty\n' >"$work/out"
printf '16\n--\nExecuted.\nclose 0\n' >"$work/exp"
check "cat's handle closed and its transaction with it: another handle writes" "$work/exp" "$work/out"
printf '60\tsixty\n' >>"$work/base"
expect "stats: rows" "rows: $(wc -l <"$work/base" | tr -d ' ')" "$(t grep '^rows:' "$mnt/stats")"
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "fsck clean"; else not_ok "fsck clean" "$(cat "$work/out")"; fi

# --- all-or-nothing across kill -9 -------------------------------------------
# batch.ok: begin, $big inserts, commit (1.1 MB: several write requests).
# Split in 10 parts for the slow writer, whose parts each go through a
# cat of its own (every one a flush of the inherited descriptor).
awk -v n="$big" 'BEGIN { print "begin"
	for (i = 1; i <= n; i++) printf "insert %d k%d\n", i, i
	print "commit" }' >"$work/batch"
awk -v n="$big" 'BEGIN { for (i = 1; i <= n; i++) printf "%d\tk%d\n", i, i }' >"$work/all"
printf '9000001\tbefore1\n9000002\tbefore2\n' >"$work/none"
cat "$work/none" >>"$work/all"
lines=$((big + 2))
per=$(((lines + 9) / 10))
(cd "$work" && split -l "$per" batch part.)
head -n $((lines - 1)) "$work/batch" >"$work/batch.nocommit"

# kill_trial NAME MODE DELAY: a fresh database with two committed rows,
# then MODE writes the batch; kill -9 of the daemon DELAY seconds later.
# $kcache: the daemon's cache_pages (default 2048).
# MODE: fast (cat batch > ctl), slow (the parts, 0.1 s apart), nocommit
# (everything but the commit, then the handle waits), done (cat has
# returned).  Prints the outcome: all, none or partial.
kill_trial() {
	db=$work/k$n.db
	mount_rowfs -o "cache_pages=${kcache:-2048}" || { not_ok "$1: mount"; return; }
	printf 'insert 9000001 before1\ninsert 9000002 before2\n' >"$ctl"
	rm -f "$work/written"
	case $2 in
	fast) cat "$work/batch" >"$ctl" 2>/dev/null & ;;
	slow)
		(for p in "$work"/part.*; do cat "$p" || exit; sleep 0.1; done) >"$ctl" 2>/dev/null &
		;;
	nocommit)
		(cat "$work/batch.nocommit" && : >"$work/written" && exec sleep "$T") >"$ctl" 2>/dev/null &
		;;
	"done") t cat "$work/batch" >"$ctl" && : >"$work/written" ;;
	esac
	wpid=$!
	if [ "$2" = nocommit ]; then
		i=0
		while [ ! -e "$work/written" ] && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
	fi
	sleep "$3"
	kill_daemon 9
	if [ "$2" != "done" ]; then
		i=0
		[ "$2" = nocommit ] && kill "$wpid" 2>/dev/null   # the sleep: it never writes
		while alive "$wpid" && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
	fi
	t fusermount3 -u "$mnt" 2>/dev/null || t fusermount3 -uz "$mnt" 2>/dev/null
	if t "$FSCK" "$db" >"$work/out" 2>&1; then
		ok "$1: fsck.rowfs exits 0 on the crash state"
	else
		not_ok "$1: fsck.rowfs exits 0 on the crash state" "$(head -20 "$work/out")"
	fi
	mount_rowfs || { not_ok "$1: remount"; return; }
	t cat "$mnt/rows" >"$work/out"
	outcome=partial
	cmp -s "$work/out" "$work/none" && outcome=none
	cmp -s "$work/out" "$work/all" && outcome=all
	case "$2:$outcome" in
	nocommit:none | done:all | fast:all | fast:none | slow:all | slow:none)
		ok "$1: after remount: $outcome of the batch" ;;
	*) not_ok "$1: after remount: all or none as expected" "outcome $outcome" \
		"$(wc -l <"$work/out") rows" ;;
	esac
	if umount_rowfs; then ok "$1: clean unmount"; else not_ok "$1: clean unmount"; fi
	if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "$1: fsck clean"; else not_ok "$1: fsck clean" "$(cat "$work/out")"; fi
}

kill_trial "killed after the whole batch but the commit" nocommit 0
kill_trial "killed after cat returned" "done" 0
kcache=8 kill_trial "cache_pages=8 (the transaction outgrows the cache), killed before the commit" nocommit 0
kcache=""
k=1
while [ "$k" -le "$trials" ]; do
	# fast: a random moment in the first 60 ms; slow: in 0.05 .. 1.05 s
	d=$(awk -v s="$$$k" 'BEGIN { srand(s); printf "%.3f", rand() * 0.06 }')
	kill_trial "cat batch > ctl, killed after ${d}s" fast "$d"
	d=$(awk -v s="$$$k" 'BEGIN { srand(s + 7); printf "%.2f", 0.05 + rand() }')
	kill_trial "parts of the batch 0.1 s apart, killed after ${d}s" slow "$d"
	k=$((k + 1))
done

done_testing
