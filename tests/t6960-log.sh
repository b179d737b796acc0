#!/bin/sh
# t6960-log.sh - the mount's `log` file, the daemon's recent messages:
# 0444 at the root, lines "TIME LEVEL TEXT" (UTC, ISO 8601 with
# milliseconds); st_size what cat reads, and st_mtime its newest line's
# time; a failed ctl statement with the
# writer's pid and its line number within the handle's input (the third
# line of one write; the third line of a handle across writes, retried
# after a short count: logged once); a failed line of tables/T/import; a
# failed row-file write and a refused safe save (rename over by-id/KEY);
# a checkpoint; a recovery after kill -9 (the next mount's first lines);
# tail -F in the background prints a new failure within 2 s, and tail -n
# 5 is the last five lines; the bound: 4,000 failures later the file keeps
# whole lines only, at most 256 KiB, the newest last, st_size still what
# cat reads, and a tail -F that followed all along printed whole lines in
# order up to the last one, without a complaint.  TAP.

# shellcheck disable=SC2016 # sh -c and python programs are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
lg=$mnt/log
stamp='[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9][0-9][0-9]Z'

# texts: the lines of log without their time ("LEVEL TEXT").
texts() { t cat "$lg" | cut -d' ' -f2-; }
# run_as PIDFILE CMD...: CMD in a shell that writes its pid first and
# execs CMD (so the writer's pid is the one written); its status.
run_as() {
	pidfile=$1
	shift
	t sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@"
}
# bad_lines FILE: the lines of FILE that are not "TIME LEVEL TEXT".
bad_lines() { grep -v "^$stamp \(emerg\|alert\|crit\|err\|warning\|notice\|info\) ." "$1"; }

# ---- the file -----------------------------------------------------------------
expect "log: 0444 in the root's listing" "-r--r--r-- log" \
	"$(cd "$mnt" && stat -c '%A %n' log)"
t ls "$mnt" >"$work/ls"
if grep -q -x log "$work/ls"; then ok "ls lists log"; else not_ok "ls lists log" "$(cat "$work/ls")"; fi
fails_with "writing log: refused" "Permission denied" sh -c "echo x >'$lg'"
t cat "$lg" >"$work/log0"
expect "a new mount: its first line says it is mounted" "info mounted $db on $mnt" \
	"$(cut -d' ' -f2- "$work/log0" | grep mounted)"
bad_lines "$work/log0" >"$work/bad"
if [ -s "$work/log0" ] && [ ! -s "$work/bad" ]; then
	ok "every line is 'TIME LEVEL TEXT' (UTC, milliseconds)"
else
	not_ok "every line is 'TIME LEVEL TEXT' (UTC, milliseconds)" "$(cat "$work/log0")"
fi
expect "stat -c %s log is what cat reads" "$(wc -c <"$work/log0" | tr -d ' ')" \
	"$(stat -c %s "$lg")"
mtime=$(stat -c %Y "$lg")
now=$(date +%s)
if [ $((now - mtime)) -ge 0 ] && [ $((now - mtime)) -le 10 ]; then
	ok "st_mtime: the time of its newest line"
else
	not_ok "st_mtime: the time of its newest line" "mtime $mtime, now $now"
fi

# ---- failed statements ----------------------------------------------------------
run_as "$work/pid" printf 'insert 1 alice\ninsert 2 bob\ninsert 1 carol\n' >"$ctl" 2>/dev/null
pid=$(cat "$work/pid")
expect "ctl: the third line of a write fails: its pid and line 3" \
	"notice ctl pid $pid line 3: Error: duplicate key 1." "$(texts | tail -1)"

# one handle: a line, then two lines whose second fails (a short count),
# then the writer's retry of that line: line 3 of the handle, logged once
run_as "$work/pid" "$WRTEST" "$ctl" 'insert 10 a\n' 'insert 11 b\ninsert 10 c\n' \
	'insert 10 c\n' >"$work/wr"
pid=$(cat "$work/pid")
expect "wrtest: 12, a short count, then EEXIST" "$(printf '12\n12\n-1 EEXIST\nclose 0')" \
	"$(cat "$work/wr")"
texts >"$work/texts"
expect "ctl: line numbers count across a handle's writes; logged once, at the retry" \
	"notice ctl pid $pid line 3: Error: duplicate key 10." "$(tail -1 "$work/texts")"
expect "ctl: the failure that returned a short count is not logged twice" 1 \
	"$(grep -c "pid $pid " "$work/texts")"

echo "create table t (id integer primary key, v text not null)" >"$ctl"
run_as "$work/pid" printf 'id,v\n1,a\n2,b\n1,c\n' >"$mnt/tables/t/import" 2>/dev/null
pid=$(cat "$work/pid")
expect "import: a failed line with its pid and line number (the header is line 1)" \
	"notice tables/t/import pid $pid line 4: Error: duplicate key 1." "$(texts | tail -1)"

run_as "$work/pid" printf 'two words\n' >"$mnt/by-id/1" 2>/dev/null
pid=$(cat "$work/pid")
expect "a row file: a refused write with its pid and errno" \
	"notice by-id/1 pid $pid: write failed (Invalid argument): a username holds no space or tab" \
	"$(texts | tail -1)"
t cat "$mnt/by-id/1" >/dev/null
expect "opening, reading and a shell's redirection log nothing more" \
	"notice by-id/1 pid $pid: write failed (Invalid argument): a username holds no space or tab" \
	"$(texts | tail -1)"
echo 'hello' >"$mnt/tables/t/by-id/9"
expect "a row file written well logs nothing" \
	"notice by-id/1 pid $pid: write failed (Invalid argument): a username holds no space or tab" \
	"$(texts | tail -1)"

if command -v python3 >/dev/null 2>&1; then
	run_as "$work/pid" python3 -c '
import os, sys
with open(sys.argv[1] + "/by-id/tmp1", "w") as f:
    f.write("two words\n")
try:
    os.replace(sys.argv[1] + "/by-id/tmp1", sys.argv[1] + "/by-id/1")
except OSError:
    sys.exit(0)
sys.exit(1)' "$mnt"
	st=$?
	pid=$(cat "$work/pid")
	expect "a refused safe save: the rename over by-id/KEY, its pid and why" \
		"0 notice by-id/1 pid $pid: rename of 'tmp1' over it failed (Invalid argument): a username holds no space or tab" \
		"$st $(texts | tail -1)"
else
	skip "a refused safe save (python3 not found)"
fi

# ---- checkpoints ------------------------------------------------------------------
echo ".checkpoint" >"$ctl"
texts | tail -1 >"$work/ckpt"
if grep -q -x "info checkpoint of '$db': [0-9]* pages written, [0-9]* bytes of WAL reset" \
	"$work/ckpt"; then
	ok "a checkpoint is logged at info"
else
	not_ok "a checkpoint is logged at info" "$(cat "$work/ckpt")"
fi

# ---- tail ---------------------------------------------------------------------------
t cat "$lg" | tail -n 5 >"$work/last5"
t tail -n 5 "$lg" >"$work/tail5"
check "tail -n 5 log: the last five lines" "$work/last5" "$work/tail5"

lines_now=$(t cat "$lg" | wc -l)
: >"$work/follow"
tail -F "$lg" >>"$work/follow" 2>"$work/follow.err" &
tail_pid=$!
# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
stop_tail() { [ -n "${tail_pid:-}" ] && kill "$tail_pid" 2>/dev/null; return 0; }
at_exit stop_tail
i=0   # tail prints the last 10 lines first
while [ "$(wc -l <"$work/follow")" -lt 10 ] && [ "$lines_now" -ge 10 ] && [ $i -lt $((T * 10)) ]; do
	sleep_a_bit
	i=$((i + 1))
done
echo "insert 2 again" >"$ctl" 2>/dev/null
i=0
while ! grep -q "line 1: Error: duplicate key 2\.$" "$work/follow" && [ $i -lt 20 ]; do
	sleep_a_bit
	i=$((i + 1))
done
if grep -q "line 1: Error: duplicate key 2\.$" "$work/follow"; then
	ok "tail -F log: a new failure printed within 2 s"
else
	not_ok "tail -F log: a new failure printed within 2 s" "$(cat "$work/follow")" \
		"$(cat "$work/follow.err")"
fi
kill "$tail_pid" 2>/dev/null
wait "$tail_pid" 2>/dev/null
tail_pid=""
expect "tail -F: no complaint (file truncated, replaced)" "" "$(cat "$work/follow.err")"

# ---- a recovery -----------------------------------------------------------------------
for i in 21 22 23; do echo "insert $i r$i" >"$ctl"; done
kill_daemon KILL
unmount_quietly "$mnt"
mount_rowfs || { not_ok "remount after kill -9"; done_testing; }
texts | head -3 >"$work/recovery"
cat >"$work/expect" <<EOF
notice recovery of '$db': 3 committed transactions replayed from its WAL
info checkpoint of '$db': N pages written, N bytes of WAL reset
info mounted $db on $mnt
EOF
sed 's/[0-9][0-9]* \(pages\|bytes\)/N \1/g' "$work/recovery" >"$work/recovery.n"
check "after kill -9: the next mount's log starts with the recovery and its checkpoint" \
	"$work/expect" "$work/recovery.n"

# ---- the bound --------------------------------------------------------------------------
if command -v python3 >/dev/null 2>&1; then
	: >"$work/follow"
	tail -F "$lg" >>"$work/follow" 2>"$work/follow.err" &
	tail_pid=$!
	i=0
	while ! grep -q "info mounted" "$work/follow" && [ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	t python3 -c '
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
total = 0
for i in range(1, 4001):
    try:
        os.write(fd, b"insert 1 dup\n")
        sys.exit("a duplicate was accepted")
    except OSError as e:
        if e.errno != errno.EEXIST:
            raise
    total += 24 + len(" notice ctl pid %d line %d: Error: duplicate key 1.\n" % (os.getpid(), i))
os.close(fd)
print(os.getpid(), total)' "$ctl" >"$work/bound"
	read -r pid logged <"$work/bound"
	t cat "$lg" >"$work/kept"
	size=$(stat -c %s "$lg")
	kept=$(wc -c <"$work/kept" | tr -d ' ')
	expect "4,000 failures later: st_size is still what cat reads" "$kept" "$size"
	if [ "$kept" -le 262144 ] && [ "$kept" -gt 250000 ] && [ "$logged" -gt "$kept" ]; then
		ok "the file keeps at most 256 KiB ($kept bytes of $logged logged), the oldest lines dropped"
	else
		not_ok "the file keeps at most 256 KiB, the oldest lines dropped" "kept $kept, logged $logged"
	fi
	bad_lines "$work/kept" >"$work/bad"
	if [ ! -s "$work/bad" ] && [ "$(tail -c 1 "$work/kept" | od -An -c | tr -d ' ')" = '\n' ]; then
		ok "every kept line is whole (the first one too)"
	else
		not_ok "every kept line is whole" "$(head -3 "$work/bad")"
	fi
	expect "the newest line last" "notice ctl pid $pid line 4000: Error: duplicate key 1." \
		"$(tail -1 "$work/kept" | cut -d' ' -f2-)"
	first=$(head -1 "$work/kept" | sed -n 's/.* line \([0-9]*\): .*/\1/p')
	expect "the kept lines are the newest ones, in order" \
		"$(seq "$first" 4000 | sed "s/.*/line &:/")" \
		"$(sed -n "s/.* pid $pid \(line [0-9]*:\) .*/\1/p" "$work/kept")"
	t tail -n 5 "$lg" >"$work/tail5"
	tail -n 5 "$work/kept" >"$work/last5"
	check "tail -n 5 after the ring wrapped" "$work/last5" "$work/tail5"
	t tail -n 5000 "$lg" >"$work/tail5000"
	check "tail -n 5000: every line kept" "$work/kept" "$work/tail5000"
	t dd if="$lg" bs=4096 skip=$(((size - 4096) / 4096)) 2>/dev/null | tail -c 100 >"$work/dd"
	tail -c 100 "$work/kept" >"$work/dd.exp"
	check "a read at an offset near the end (dd skip=)" "$work/dd.exp" "$work/dd"
	# the follower: up to the last line, whole lines, in order (it may skip
	# what was dropped before it read it), no complaint
	i=0
	while ! grep -q "pid $pid line 4000: " "$work/follow" && [ $i -lt 30 ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	kill "$tail_pid" 2>/dev/null
	wait "$tail_pid" 2>/dev/null
	tail_pid=""
	bad_lines "$work/follow" >"$work/bad"
	sed -n "s/.* pid $pid line \([0-9]*\): .*/\1/p" "$work/follow" >"$work/numbers"
	sort -n -u "$work/numbers" >"$work/numbers.sorted"
	if [ ! -s "$work/bad" ] && [ "$(tail -1 "$work/numbers")" = 4000 ] &&
		cmp -s "$work/numbers" "$work/numbers.sorted" && [ ! -s "$work/follow.err" ]; then
		ok "tail -F through 4,000 failures: whole lines, in order, none twice, up to the last"
	else
		not_ok "tail -F through 4,000 failures: whole lines, in order, none twice, up to the last" \
			"$(head -3 "$work/bad")" "last: $(tail -1 "$work/numbers")" "$(cat "$work/follow.err")"
	fi
else
	skip "the bound (python3 not found)"
fi

umount_rowfs || not_ok "unmount"
done_testing
