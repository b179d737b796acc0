#!/bin/sh
# t6400-changes.sh - the change feed: `changes` in the root (0444, size 0,
# not writable), its line format, every commit exactly once and in order
# with four concurrent writers, poll()/select()/O_NONBLOCK and a blocking
# read released by a commit (tests/changes_poll), an explicit transaction
# (one seq at its commit; nothing for a rollback), SIGINT of a blocked
# reader, the sticky ESTALE of a reader that fell behind, the limit of
# blocked readers (ctl still served), SIGTERM of the daemon with a blocked
# reader, and -s (reads never block).  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

CHPOLL=$top_builddir/tests/changes_poll
require_fuse
[ -x "$CHPOLL" ] || { not_ok "tests/changes_poll is built"; done_testing; }
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
readers=""

# The readers still running are ended at exit, before the unmount.
# shellcheck disable=SC2317 # called by the EXIT trap
stop_all_readers() {
	for p in $readers; do kill -9 "$p" 2>/dev/null; done
	for p in $readers; do wait "$p" 2>/dev/null; done
}
at_exit stop_all_readers

# start_reader NAME: `changes_poll cat changes` > $work/NAME.out in the
# background ($reader_pid), once it has the file open.
start_reader() {
	"$CHPOLL" cat "$mnt/changes" >"$work/$1.out" 2>"$work/$1.err" &
	reader_pid=$!
	readers="$readers $reader_pid"
	i=0
	while [ $i -lt $((T * 10)) ]; do
		for f in /proc/"$reader_pid"/fd/*; do
			[ "$(readlink "$f" 2>/dev/null)" = "$mnt/changes" ] && return 0
		done
		alive "$reader_pid" || return 1
		sleep_a_bit
		i=$((i + 1))
	done
	return 1
}

# wait_lines FILE N: until FILE has N lines (at most $T seconds).
wait_lines() {
	i=0
	while [ "$(wc -l <"$1")" -lt "$2" ] && [ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	[ "$(wc -l <"$1")" -ge "$2" ]
}

# ends_within SECONDS PID: the process exits within SECONDS (reaped).
ends_within() {
	i=0
	while alive "$2" && [ $i -lt $(($1 * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	if alive "$2"; then
		return 1
	fi
	wait "$2" 2>/dev/null
	return 0
}

# 1-3: the name.
ls "$mnt" >"$work/ls"
if grep -qx changes "$work/ls"; then ok "changes is listed in the root"; else
	not_ok "changes is listed in the root" "$(cat "$work/ls")"; fi
expect "changes: 0444, size 0" "444 0" "$(stat -c '%a %s' "$mnt/changes")"
if (echo x >"$mnt/changes") 2>/dev/null; then not_ok "changes cannot be written"; else
	ok "changes cannot be written"; fi

# 4: the line format; the reader starts at the end (row 1 is not in it).
echo "insert 1 before" >"$ctl"
start_reader fmt || not_ok "reader started"
printf 'insert 42 alice\n' >"$ctl"
t "$WRTEST" "$ctl" 'update 42 bob\ndelete 42\n' >/dev/null   # one write(): one commit
wait_lines "$work/fmt.out" 3
kill "$reader_pid" 2>/dev/null
ends_within 5 "$reader_pid" || not_ok "reader stopped"
# the seq is the commit's (the WAL's transaction number)
s=$(head -1 "$work/fmt.out" | cut -d' ' -f1)
printf '%s insert 42 alice\n%s update 42 bob\n%s delete 42\n' "$s" $((s + 1)) $((s + 1)) \
	>"$work/exp"
check "lines: SEQ insert ID NAME, SEQ update ID NAME, SEQ delete ID; one seq per commit" \
	"$work/exp" "$work/fmt.out"

# 5: an explicit transaction appears at its commit, as one seq; a rolled
# back one never.
start_reader txn || not_ok "reader started"
exec 3<>"$ctl"
printf 'begin\n' >&3
printf 'insert 70 t1\n' >&3
printf 'insert 71 t2\n' >&3
printf 'commit\n' >&3
printf 'begin\n' >&3
printf 'insert 72 gone\n' >&3
printf 'rollback\n' >&3
printf 'insert 73 after\n' >&3
exec 3>&-
wait_lines "$work/txn.out" 3
sleep_a_bit
kill "$reader_pid" 2>/dev/null
ends_within 5 "$reader_pid" || not_ok "reader stopped"
s=$(head -1 "$work/txn.out" | cut -d' ' -f1)
printf '%s insert 70 t1\n%s insert 71 t2\n%s insert 73 after\n' "$s" "$s" $((s + 1)) \
	>"$work/exp"
check "begin ... commit: one seq at the commit; rollback: nothing" "$work/exp" "$work/txn.out"

# 6-9: four writers, 200 inserts each plus 20 updates and 10 deletes, one
# statement per write (one commit each), while one reader collects.
start_reader many || not_ok "reader started"
: >"$work/expected"
for w in 1 2 3 4; do
	awk -v w="$w" 'BEGIN {
		for (i = 1; i <= 200; i++) printf "insert %d w%d_%d\n", w * 1000 + i, w, i
		for (i = 1; i <= 20; i++) printf "update %d u%d_%d\n", w * 1000 + i, w, i
		for (i = 1; i <= 10; i++) printf "delete %d\n", w * 1000 + 100 + i
	}' >"$work/w$w.in"
	cat "$work/w$w.in" >>"$work/expected"
done
wpids=""
for w in 1 2 3 4; do
	(
		exec 3>"$ctl"
		while IFS= read -r line; do
			echo "$line" >&3 || exit 1
		done <"$work/w$w.in"
	) &
	wpids="$wpids $!"
done
wfail=0
for p in $wpids; do wait "$p" || wfail=1; done
expect "the writers succeeded" 0 "$wfail"
wait_lines "$work/many.out" 920
kill "$reader_pid" 2>/dev/null
ends_within 5 "$reader_pid" || not_ok "reader stopped"
cut -d' ' -f2- "$work/many.out" | sort >"$work/got"
sort "$work/expected" >"$work/exp"
check "every statement exactly once (920 lines)" "$work/exp" "$work/got"
if awk 'NR > 1 && $1 != prev + 1 { bad = 1; print "line " NR ": " $1 " after " prev }
	{ prev = $1 } END { exit bad }' "$work/many.out" >"$work/seqerr"; then
	ok "seqs strictly increasing, one commit each, none missing"
else
	not_ok "seqs strictly increasing, one commit each, none missing" "$(head -5 "$work/seqerr")"
fi
# each writer's statements keep their order: per id, insert < update < delete
if awk '{ id = $3; op = $2; r = (op == "insert") ? 1 : (op == "update") ? 2 : 3
	if (r <= last[id]) { bad = 1; print "id " id ": " op " after rank " last[id] }
	last[id] = r } END { exit bad }' "$work/many.out" >"$work/orderr"; then
	ok "per row: insert, then update, then delete"
else
	not_ok "per row: insert, then update, then delete" "$(head -5 "$work/orderr")"
fi

# 10-11: poll(), select(), O_NONBLOCK; a blocking read released by a commit.
if t "$CHPOLL" poll "$mnt" >"$work/poll.out" 2>&1; then ok "poll, select, O_NONBLOCK"; else
	not_ok "poll, select, O_NONBLOCK" "$(cat "$work/poll.out")"; fi
if t "$CHPOLL" block "$mnt" >"$work/block.out" 2>&1; then ok "blocking read released"; else
	not_ok "blocking read released" "$(cat "$work/block.out")"; fi

# 12-13: SIGINT ends a blocked reader at once (FUSE_INTERRUPT); the daemon
# goes on.
start_reader intr || not_ok "reader started"
sleep 1   # let it block in the daemon
kill -INT "$reader_pid"
if ends_within 5 "$reader_pid"; then ok "kill -INT of a blocked reader ends it"; else
	not_ok "kill -INT of a blocked reader ends it"; fi
echo "insert 5000 after_intr" >"$ctl"
if t cat "$mnt/rows" | grep -qx "5000	after_intr"; then ok "the daemon goes on"; else
	not_ok "the daemon goes on"; fi

# 14-16: a reader that falls behind (over 8 MiB of lines unread) gets
# ESTALE, and keeps getting it; a new open starts at the end.
exec 5<"$mnt/changes"
awk 'BEGIN { for (i = 0; i < 200000; i++)
	printf "update 5000 n%031d\n", i }' >"$work/big.in"   # about 10 MiB of lines
t cat "$work/big.in" >"$ctl"
if t cat <&5 >/dev/null 2>"$work/stale.err"; then
	not_ok "a reader that fell behind gets ESTALE" "read succeeded"
elif grep -q "Stale file handle" "$work/stale.err"; then
	ok "a reader that fell behind gets ESTALE"
else
	not_ok "a reader that fell behind gets ESTALE" "$(cat "$work/stale.err")"
fi
if t cat <&5 >/dev/null 2>&1; then not_ok "ESTALE is sticky"; else ok "ESTALE is sticky"; fi
exec 5<&-
expect "a new open starts at the end" "EAGAIN" \
	"$(t python3 -c 'import os,sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
try:
	os.read(fd, 4096); print("data")
except BlockingIOError:
	print("EAGAIN")' "$mnt/changes" 2>&1)"

# 17-20: 48 blocked readers (64 threads - 16 spare) at most; the next gets
# EAGAIN, ctl is still served, and the commit releases all 48.
r=1
while [ $r -le 48 ]; do
	start_reader "lim$r" || break
	r=$((r + 1))
done
expect "48 readers blocked" 49 "$r"
sleep 1
expect "the 49th blocking read fails with EAGAIN" EAGAIN "$(t "$CHPOLL" once "$mnt/changes")"
# shellcheck disable=SC2016 # $1 is the inner shell's
if t sh -c 'echo "insert 6000 released" >"$1"' sh "$ctl"; then ok "ctl is served"; else
	not_ok "ctl is served"; fi
got=0
r=1
while [ $r -le 48 ]; do
	wait_lines "$work/lim$r.out" 1 && grep -q " insert 6000 released$" "$work/lim$r.out" &&
		got=$((got + 1))
	r=$((r + 1))
done
expect "every blocked reader got the commit" 48 "$got"
stop_all_readers
readers=""

# 21-23: SIGTERM with a blocked reader: the daemon exits (status 0) and
# the reader ends; fusermount3 -u meanwhile fails (busy) without hanging.
start_reader term || not_ok "reader started"
sleep 1
t fusermount3 -u "$mnt" 2>/dev/null
if [ $? -ne 124 ]; then ok "fusermount3 -u does not hang"; else not_ok "fusermount3 -u does not hang"; fi
if mountpoint -q "$mnt"; then
	kill_daemon TERM
	expect "SIGTERM with a blocked reader: daemon exit status 0" 0 "$daemon_status"
else
	ok "unmounted (reader released)"
	wait_daemon
fi
if ends_within 5 "$reader_pid"; then ok "the blocked reader ended"; else
	not_ok "the blocked reader ended"; fi

# 24-26: -s: a read at the end returns 0 instead of blocking.
mount_rowfs -s || { not_ok "mount -s"; done_testing; }
if t cat "$mnt/changes" >"$work/s.out"; then ok "-s: cat changes returns at once"; else
	not_ok "-s: cat changes returns at once"; fi
printf 'delete 900001\ndelete 900002\n' >"$ctl"   # the poll helper inserts them again
if t "$CHPOLL" poll "$mnt" >"$work/poll.out" 2>&1; then ok "-s: poll works"; else
	not_ok "-s: poll works" "$(cat "$work/poll.out")"; fi
if umount_rowfs; then ok "unmount"; else not_ok "unmount"; fi

done_testing
