# shellcheck shell=sh disable=SC2034 # variables here are used by the tests
# tests/lib.sh - shared helpers of the mount tests (sourced; POSIX sh; TAP).
#
# It sources tests/tap.sh (TAP output ok / not_ok / skip / check / expect /
# done_testing / skip_all, the work directory $work, $T, t, the programs
# $ROWFS $ROWSH $FSCK $WRTEST, at_exit) and adds:
#   $db $mnt $log    database file, mountpoint (created), daemon log
#   require_fuse     skips the whole test (1..0 # SKIP) when FUSE cannot be
#                    used here, or fails loudly when ROWFS_REQUIRE_FUSE=1
#   mount_rowfs [OPTS...]    start `rowfs -f OPTS $db $mnt` in the
#                    background, wait until the mount is ready; fails at once
#                    if the daemon died
#   umount_rowfs     fusermount3 -u, wait for the daemon, require status 0
#   daemon_alive     0 if the daemon of mount_rowfs still runs
#   refused NAME STRERROR CMD...  CMD (bounded by $T) fails and its output
#                    (stdout and stderr, kept in $work/err) holds STRERROR:
#                    ok "NAME: STRERROR"; else not ok "NAME: refused" (it
#                    succeeded) or "NAME: STRERROR" (another text)
#   fsck_ok NAME     fsck.rowfs exits 0 on $db: ok "NAME: fsck.rowfs exits
#                    0" (skipped when fsck.rowfs is not built)
#   $EINVAL $ENOENT $EPERM $EROFS $EACCES $EEXIST $EBUSY   the strerror
#                    texts (glibc's) the tools print for those errnos
# and an exit hook that unmounts (-u, then -uz), kills the daemon by PID and
# prints the daemon log when a test failed.  A watchdog ends a test that
# runs longer than ROWFS_TEST_WATCHDOG seconds (default 600).

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"

db=$work/t.db
mnt=$work/mnt
log=$work/daemon.log
mkdir "$mnt" || exit 1
: >"$log"
daemon_pid=""
watchdog_pid=""

# alive PID: the process exists and is not a zombie.
alive() {
	[ -n "$1" ] && [ -r "/proc/$1/status" ] &&
		! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
daemon_alive() { alive "$daemon_pid"; }

# sleep_a_bit: a tenth of a second where sleep supports it.
sleep_a_bit() { sleep 0.1 2>/dev/null || sleep 1; }

# unmount_quietly MNT: -u, then lazy -uz; never blocks for long.
unmount_quietly() {
	if mountpoint -q "$1" 2>/dev/null || ! ls "$1" >/dev/null 2>&1; then
		timeout "$T" fusermount3 -u "$1" 2>/dev/null ||
			timeout "$T" fusermount3 -uz "$1" 2>/dev/null
	fi
	return 0
}

# lib_cleanup STATUS: the exit hook of the mount tests.
# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
lib_cleanup() {
	status=$1
	[ -n "$watchdog_pid" ] && kill "$watchdog_pid" 2>/dev/null
	for m in "$work"/mnt*; do   # (a stale mount fails test -d: no test)
		unmount_quietly "$m"
	done
	if [ -n "$daemon_pid" ] && daemon_alive; then
		kill "$daemon_pid" 2>/dev/null
		i=0
		while daemon_alive && [ $i -lt 50 ]; do sleep_a_bit; i=$((i + 1)); done
		daemon_alive && kill -9 "$daemon_pid" 2>/dev/null
	fi
	[ -n "$daemon_pid" ] && wait "$daemon_pid" 2>/dev/null
	if [ "$fail" -ne 0 ] || [ "$status" -ne 0 ]; then
		if [ -s "$log" ]; then
			echo "# daemon log:"
			sed 's/^/#   /' "$log" | head -60
		fi
	fi
}
at_exit lib_cleanup

# The watchdog: kill -9 the daemon (so blocked FUSE calls return), then
# end the test.  It sleeps in short steps so nothing outlives the test.
(
	exec >/dev/null 2>&1
	i=0
	while [ $i -lt "${ROWFS_TEST_WATCHDOG:-600}" ]; do
		sleep 1
		i=$((i + 1))
	done
	[ -s "$work/daemon.pid" ] && kill -9 "$(cat "$work/daemon.pid")"
	kill -TERM $$
) &
watchdog_pid=$!

# no_fuse REASON: skip the test, or fail it under ROWFS_REQUIRE_FUSE=1.
no_fuse() {
	if [ "${ROWFS_REQUIRE_FUSE:-0}" = 1 ]; then
		not_ok "FUSE is required (ROWFS_REQUIRE_FUSE=1) but unusable: $1"
		done_testing
	fi
	skip_all "FUSE unusable: $1"
}

require_fuse() {
	[ -x "$ROWFS" ] || no_fuse "$ROWFS not built"
	[ -c /dev/fuse ] || no_fuse "/dev/fuse missing"
	command -v fusermount3 >/dev/null 2>&1 || no_fuse "fusermount3 not found"
	command -v mountpoint >/dev/null 2>&1 || no_fuse "mountpoint(1) not found"
	# Probe: can a rowfs be mounted here at all?
	mkdir "$work/probe" || exit 1
	if ! timeout "$T" "$ROWFS" "$work/probe.db" "$work/probe" >"$work/probe.log" 2>&1; then
		no_fuse "mount failed: $(head -c 300 "$work/probe.log" | tr '\n' ' ')"
	fi
	timeout "$T" fusermount3 -u "$work/probe" 2>/dev/null ||
		timeout "$T" fusermount3 -uz "$work/probe" 2>/dev/null
	# the probe daemon exits once unmounted; wait for it to let go of its lock
	i=0
	while [ $i -lt $((T * 10)) ] &&
		! printf 'select\n' | timeout "$T" "$ROWSH" "$work/probe.db" >/dev/null 2>&1; do
		sleep_a_bit
		i=$((i + 1))
	done
	rmdir "$work/probe" 2>/dev/null
	rm -f "$work/probe.db" "$work/probe.db-wal" "$work/probe.log"
}

# mount_rowfs [OPTS...]: rowfs -f OPTS $db $mnt in the background, until
# `mountpoint -q $mnt`.  Returns 1 (with the log as TAP comments) if the
# daemon died or the mount did not come up within $T seconds.
mount_rowfs() {
	echo "# mount: rowfs -f $* $db $mnt" >>"$log"
	"$ROWFS" -f "$@" "$db" "$mnt" >>"$log" 2>&1 &
	daemon_pid=$!
	echo "$daemon_pid" >"$work/daemon.pid"
	i=0
	while [ $i -lt $((T * 10)) ]; do
		if mountpoint -q "$mnt" 2>/dev/null; then
			return 0
		fi
		if ! daemon_alive; then
			wait "$daemon_pid" 2>/dev/null
			echo "# daemon died before the mount was ready (status $?)"
			sed 's/^/#   /' "$log" | tail -20
			daemon_pid=""
			return 1
		fi
		sleep_a_bit
		i=$((i + 1))
	done
	echo "# mount not ready after ${T}s"
	return 1
}

# wait_daemon: wait up to $T seconds for the daemon to exit; its exit
# status in $daemon_status (999 if it did not exit).
wait_daemon() {
	i=0
	while daemon_alive && [ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	if daemon_alive; then
		daemon_status=999
		return 1
	fi
	wait "$daemon_pid" 2>/dev/null
	daemon_status=$?
	daemon_pid=""
	rm -f "$work/daemon.pid"
	return 0
}

# umount_rowfs: fusermount3 -u, then the daemon must exit with status 0.
umount_rowfs() {
	if ! timeout "$T" fusermount3 -u "$mnt" 2>>"$log"; then
		echo "# fusermount3 -u $mnt failed"
		return 1
	fi
	if ! wait_daemon; then
		echo "# daemon still running ${T}s after unmount"
		return 1
	fi
	if [ "$daemon_status" -ne 0 ]; then
		echo "# daemon exit status $daemon_status"
		sed 's/^/#   /' "$log" | tail -20
		return 1
	fi
	return 0
}

# kill_daemon SIG: send SIG to the daemon and wait for it (status in
# $daemon_status).
kill_daemon() {
	kill "-$1" "$daemon_pid" 2>/dev/null
	wait_daemon
}

# rows_of DB: `select` through rowsh, as "ID<TAB>NAME" lines.
rows_of() {
	printf 'select\n' | timeout "$T" "$ROWSH" "$1" |
		sed -n 's/^(\([0-9]*\), \(.*\))$/\1\t\2/p'
}

# refused NAME STRERROR CMD...: CMD, bounded by $T, must fail and say
# STRERROR (grep's pattern) on stdout or stderr, both left in $work/err.
# One TAP test: ok "NAME: STRERROR"; not ok "NAME: refused" when CMD
# succeeded, not ok "NAME: STRERROR" with the output when it said another.
refused() {
	name=$1
	msg=$2
	shift 2
	if t "$@" >"$work/err" 2>&1; then
		not_ok "$name: refused" "it succeeded"
	elif grep -q "$msg" "$work/err"; then
		ok "$name: $msg"
	else
		not_ok "$name: $msg" "$(cat "$work/err")"
	fi
}

# fsck_ok NAME: fsck.rowfs exits 0 on $db (its output in $work/fsck.out).
fsck_ok() {
	if [ -x "$FSCK" ]; then
		if t "$FSCK" "$db" >"$work/fsck.out" 2>&1; then
			ok "$1: fsck.rowfs exits 0"
		else
			not_ok "$1: fsck.rowfs exits 0" "status $?" "$(head -20 "$work/fsck.out")"
		fi
	else
		skip "$1: fsck.rowfs not built"
	fi
}

# The strerror texts of the errnos the mount tests expect.
EINVAL="Invalid argument"
ENOENT="No such file or directory"
EPERM="Operation not permitted"
EROFS="Read-only file system"
EACCES="Permission denied"
EEXIST="File exists"
EBUSY="Device or resource busy"
