#!/bin/sh
# t1200-service.sh - the daemon as a service:
#   - --help lists rowfs's options with their defaults first, then the
#     libfuse options with the values rowfs gives them (never libfuse's own
#     defaults: max_threads 10, 1.0s timeouts), and every option of
#     fs/options.c's spec; libfuse caching options rowfs overrides are
#     dropped with a warning;
#   - with NOTIFY_SOCKET (a path or @abstract, as systemd sets it), READY=1
#     arrives once the mount is up (a listener checks the mount the moment
#     it arrives), from the serving process (MAINPID when detached), and
#     STOPPING=1 at unmount; a NOTIFY_SOCKET that cannot work is a warning;
#   - messages reach syslog: a listener on /dev/log in a private mount
#     namespace (unshare -m; skipped where it cannot be made) sees a start
#     error, libfuse's complaint, the I/O errors a detached daemon meets
#     serving a damaged database (which only syslog can show), and the
#     daemon's stderr has them too with -f;
#   - rowfs@.service: Type=notify, and run as systemd would (ExecStart= with
#     an EnvironmentFile, then ExecStop=) it mounts and unmounts; verified by
#     systemd-analyze verify where that is installed.
# TAP.
# shellcheck disable=SC2013,SC2016,SC2031 # words of sed output; the unit's $VARs are literal; svc.conf is sourced in a subshell on purpose

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
LISTEN="$top_srcdir/tests/dgram_listen.py"

# listen ADDRESS OUT [MOUNTPOINT]: start the listener in the background
# (pid in $listener) and wait until it is bound.
listen() {
	rm -f "$2" "$2.ready"
	python3 "$LISTEN" "$1" "$2" "$T" ${3:+"$3"} &
	listener=$!
	i=0
	while [ ! -e "$2.ready" ] && [ $i -lt $((T * 10)) ] && alive "$listener"; do
		sleep_a_bit
		i=$((i + 1))
	done
	[ -e "$2.ready" ]
}

# wait_listener: wait (up to $T s) for the listener to exit.
wait_listener() {
	i=0
	while alive "$listener" && [ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	alive "$listener" && kill "$listener"
	wait "$listener" 2>/dev/null
	listener=""
}

# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
stop_listener() { [ -n "${listener:-}" ] && kill "$listener" 2>/dev/null; return 0; }
at_exit stop_listener

# ---- --help ----------------------------------------------------------------
t "$ROWFS" --help >"$work/help" 2>"$work/help.err"
st=$?
sections=$(grep -n -e '^usage:' -e '^rowfs options:' -e '^FUSE options' "$work/help" | cut -d: -f2 |
	tr '\n' '/')
if [ $st -eq 0 ] && [ ! -s "$work/help.err" ] &&
	[ "$sections" = "usage/rowfs options/FUSE options (libfuse's, with the values rowfs gives them)/" ]; then
	ok "--help: usage, then rowfs's options, then libfuse's; stdout, exit 0"
else
	not_ok "--help: usage, then rowfs's options, then libfuse's; stdout, exit 0" \
		"status $st, sections $sections" "$(cat "$work/help.err")"
fi

# every option of the spec in fs/options.c is in the rowfs section
sed -n '/^rowfs options:/,/^FUSE options/p' "$work/help" >"$work/help.rowfs"
missing=""
keys=0
for key in $(sed -n 's/^[[:space:]]*FUSE_OPT_KEY("\([a-z_]*\)[=%s]*", KEY_\([A-Z_]*\)),$/\1:\2/p' \
	"$top_srcdir/fs/options.c"); do
	name=${key%%:*}
	[ "${key#*:}" = NO_EFFECT ] && continue
	grep -q -e "-o ${name}[= ]" -e "-o ${name}\$" "$work/help.rowfs" || missing="$missing $name"
	keys=$((keys + 1))
done
if [ -z "$missing" ] && [ "$keys" -ge 6 ]; then
	ok "--help: each of the $keys -o options of fs/options.c is in the rowfs section"
else
	not_ok "--help: each -o option of fs/options.c is in the rowfs section" \
		"missing:$missing ($keys found)"
fi

# the defaults it shows are rowfs's, and libfuse's overridden ones are gone
mount_rowfs || not_ok "mount for the stats"
stats_cache=$(sed -n 's/^cache_pages: //p' "$mnt/stats")
umount_rowfs || not_ok "unmount"
bad=""
grep -q "sync=MODE .*full (default)" "$work/help.rowfs" || bad="$bad [sync]"
grep -q "cache_pages=N .*(default $stats_cache)" "$work/help.rowfs" || bad="$bad [cache_pages $stats_cache]"
tr '\n' ' ' <"$work/help.rowfs" | tr -s ' ' >"$work/help.flat"
grep -q "wal_limit=BYTES .*default 64M)" "$work/help.flat" || bad="$bad [wal_limit]"
grep -q "snapshot_pages=N .*(default 16384)" "$work/help.flat" || bad="$bad [snapshot_pages]"
grep -q "ctl_memory=BYTES .*default 64M)" "$work/help.flat" || bad="$bad [ctl_memory]"
grep -q "max_threads=N *worker threads (default 64" "$work/help" || bad="$bad [max_threads]"
grep -n -e 'default: 10)' -e '1\.0s' -e '0\.0s' -e 'Options for' -e '^ *-o kernel_cache' \
	-e '^ *-o attr_timeout' -e '^ *-o entry_timeout' -e 'print help' "$work/help" >"$work/stale"
if [ -z "$bad" ] && [ ! -s "$work/stale" ]; then
	ok "--help: rowfs's defaults (cache_pages $stats_cache as stats shows), max_threads 64, no libfuse default"
else
	not_ok "--help: rowfs's defaults, max_threads 64, no libfuse default" "wrong:$bad" \
		"$(cat "$work/stale")"
fi

# an overridden libfuse option: a warning, and the mount works
: >"$log"
if mount_rowfs -o kernel_cache,attr_timeout=5 && echo "insert 1 k" >"$mnt/ctl" && umount_rowfs &&
	grep -q -x "rowfs: -o kernel_cache has no effect: the kernel never caches what rowfs serves" "$log" &&
	grep -q -x "rowfs: -o attr_timeout=5 has no effect: the kernel never caches what rowfs serves" "$log"; then
	ok "-o kernel_cache,attr_timeout=5: warned about, dropped, the mount works"
else
	not_ok "-o kernel_cache,attr_timeout=5: warned about, dropped, the mount works" "$(cat "$log")"
fi

# ---- NOTIFY_SOCKET -----------------------------------------------------------
# foreground, a socket path
: >"$log"
if listen "$work/notify.sock" "$work/notify" "$mnt"; then
	NOTIFY_SOCKET=$work/notify.sock mount_rowfs
	i=0   # READY=1 may arrive a moment after mountpoint(1) sees the mount
	while ! grep -q '^at READY' "$work/notify" 2>/dev/null && [ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	before=$(cat "$work/notify")
	umount_rowfs
	st=$daemon_status
	wait_listener
	expected="READY=1|STATUS=serving $db on $mnt
at READY: mounted=yes stats=yes"
	expect "NOTIFY_SOCKET=PATH, -f: READY=1 once the mount is up (and serves), no MAINPID" \
		"$expected" "$before"
	expect "NOTIFY_SOCKET=PATH, -f: STOPPING=1 at unmount, exit 0" \
		"$expected
STOPPING=1 0" "$(cat "$work/notify") $st"
else
	not_ok "the notification listener binds $work/notify.sock"
fi

# detached (no -f), an abstract socket: MAINPID names the serving daemon
abstract="@rowfs-t1200-$$"
if listen "$abstract" "$work/notify2" "$mnt"; then
	NOTIFY_SOCKET=$abstract t "$ROWFS" "$db" "$mnt" >"$work/start.out" 2>&1
	st=$?
	wait_listener_ready() {
		i=0
		while ! grep -q '^at READY' "$work/notify2" 2>/dev/null && [ $i -lt $((T * 10)) ]; do
			sleep_a_bit
			i=$((i + 1))
		done
	}
	wait_listener_ready
	pid=$(sed -n 's/^READY=1|STATUS=serving .*|MAINPID=\([0-9]*\)$/\1/p' "$work/notify2")
	comm=$(cat "/proc/${pid:-none}/comm" 2>/dev/null)
	first=$(sed -e 's/MAINPID=[0-9]*$/MAINPID=N/' "$work/notify2")
	expect "NOTIFY_SOCKET=@NAME, detached: READY=1 with the daemon's MAINPID, once the mount is up" \
		"0 rowfs READY=1|STATUS=serving $db on $mnt|MAINPID=N
at READY: mounted=yes stats=yes" "$st $comm $first"
	t fusermount3 -u "$mnt"
	wait_listener
	i=0
	while [ -n "$pid" ] && alive "$pid" && [ $i -lt $((T * 10)) ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	expect "NOTIFY_SOCKET=@NAME, detached: STOPPING=1 at unmount" "STOPPING=1" \
		"$(sed -n '3,$p' "$work/notify2")"
else
	not_ok "the notification listener binds $abstract"
fi

# a NOTIFY_SOCKET that cannot work: a warning, the mount goes on
: >"$log"
if NOTIFY_SOCKET=relative/sock mount_rowfs && echo "insert 2 n" >"$mnt/ctl" && umount_rowfs &&
	grep -q -x "rowfs: cannot notify the service manager (NOTIFY_SOCKET): Invalid argument" "$log"; then
	ok "NOTIFY_SOCKET=relative/sock: warned about, the mount works"
else
	not_ok "NOTIFY_SOCKET=relative/sock: warned about, the mount works" "$(cat "$log")"
fi

# ---- syslog ----------------------------------------------------------------
# A damaged copy: 300 rows checkpointed (a root and leaves), page 1 (a
# leaf) overwritten.
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "insert %d user%d\n", i * 3, i }' |
	rsh "$work/bad.db" >/dev/null
head -c 4096 /dev/zero | tr '\0' 'x' |
	dd of="$work/bad.db" bs=4096 seek=1 count=1 conv=notrunc 2>/dev/null
corrupt="Error: I/O error: database corrupt: page 1 is not a valid B-tree node"
expect "setup: the damaged copy" "$corrupt" "$(printf 'select\n' | rsh "$work/bad.db" | tail -1)"

# In a private mount namespace, /dev is a directory of our own: the
# devices the daemon needs, and /dev/log the listener's socket.
cat >"$work/ns.sh" <<'EOF'
set -u
for d in fuse null zero urandom random; do
	[ -e "/dev/$d" ] || continue
	: >"$work/dev/$d" && mount --bind "/dev/$d" "$work/dev/$d" || exit 90
done
mount --rbind "$work/dev" /dev || exit 91
[ -S /dev/log ] || exit 92
mkdir -p "$work/nsmnt"
# 1: a start error; 2: libfuse's own complaint
timeout "$T" "$ROWFS" "$work/nodir/db" "$work/nsmnt" 2>"$work/ns.err1"
echo "$?" >"$work/ns.st1"
timeout "$T" "$ROWFS" -o bogus "$work/ns.db" "$work/nsmnt" 2>"$work/ns.err2"
echo "$?" >"$work/ns.st2"
# 3: detached on the damaged copy: a read and a ctl statement meet the damage
timeout "$T" "$ROWFS" "$work/bad.db" "$work/nsmnt" 2>"$work/ns.err3"
echo "$?" >"$work/ns.st3"
timeout "$T" cat "$work/nsmnt/rows" >/dev/null 2>&1
timeout "$T" "$WRTEST" "$work/nsmnt/ctl" 'select\n' >/dev/null 2>&1
timeout "$T" fusermount3 -u "$work/nsmnt"
# the detached daemon (its pid from its syslog record) must let go of the lock
pid=$(sed -n 's/^<30>.* rowfs\[\([0-9]*\)\]: mounted .*/\1/p' "$work/syslog" | head -1)
i=0
while [ -n "$pid" ] && [ -d "/proc/$pid" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
# 4: the same in the foreground: stderr has it too
timeout "$T" "$ROWFS" -f "$work/bad.db" "$work/nsmnt" 2>"$work/ns.err4" &
pid=$!
i=0
while ! mountpoint -q "$work/nsmnt" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
timeout "$T" "$WRTEST" "$work/nsmnt/ctl" 'select\n' >/dev/null 2>&1
timeout "$T" fusermount3 -u "$work/nsmnt"
wait "$pid"
echo "$?" >"$work/ns.st4"
exit 0
EOF
mkdir "$work/dev"
if ! command -v unshare >/dev/null 2>&1 || ! unshare -m --propagation private true 2>/dev/null; then
	skip "syslog: no private mount namespace here (unshare -m needs root or CAP_SYS_ADMIN)"
elif ! listen "$work/dev/log" "$work/syslog"; then
	not_ok "syslog: the listener binds $work/dev/log"
else
	export work T ROWFS WRTEST
	t unshare -m --propagation private sh "$work/ns.sh"
	st=$?
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
	listener=""
	if [ $st -ge 90 ] && [ $st -le 92 ]; then
		skip "syslog: cannot replace /dev in a mount namespace (step $st)"
	else
		# records are "<PRI>Mmm dd hh:mm:ss rowfs[PID]: TEXT"; keep PRI and TEXT (the
		# writer's pid in a ctl error as P)
		sed -n 's/^<\([0-9]*\)>.* rowfs\[[0-9]*\]: /\1 /p' "$work/syslog" |
			sed 's/^\(27 ctl pid \)[0-9]* /\1P /' >"$work/records"
		msg="bad database file '$work/nodir/db': No such file or directory"
		if [ "$(cat "$work/ns.st1")" = 1 ] && grep -q -x "27 $msg" "$work/records" &&
			[ "$(cat "$work/ns.err1")" = "rowfs: $msg" ]; then
			ok "syslog: a start error, at daemon.err, and on stderr as before"
		else
			not_ok "syslog: a start error, at daemon.err, and on stderr as before" \
				"$(cat "$work/ns.err1")" "$(cat "$work/syslog")"
		fi
		msg="fuse: unknown option(s): \`-o bogus'"
		if [ "$(cat "$work/ns.st2")" = 1 ] && grep -q -x "27 $msg" "$work/records" &&
			[ "$(cat "$work/ns.err2")" = "$msg" ]; then
			ok "syslog: libfuse's messages go there too (stderr unchanged)"
		else
			not_ok "syslog: libfuse's messages go there too (stderr unchanged)" \
				"$(cat "$work/ns.err2")" "$(cat "$work/syslog")"
		fi
		grep -v -e "^27 bad database" -e "^27 fuse: unknown" "$work/records" >"$work/served"
		cat >"$work/expected" <<EOF2
30 mounted $work/bad.db on $work/nsmnt
27 stat of '/rows' failed: Input/output error
27 ctl pid P line 1: $corrupt
30 unmounted $work/nsmnt
30 mounted $work/bad.db on $work/nsmnt
27 ctl pid P line 1: $corrupt
30 unmounted $work/nsmnt
EOF2
		sort "$work/expected" >"$work/expected.sorted"
		sort "$work/served" >"$work/served.sorted"
		if [ "$(cat "$work/ns.st3")" = 0 ] && [ ! -s "$work/ns.err3" ]; then
			check "syslog: a detached daemon's mount, I/O errors met serving, unmount" \
				"$work/expected.sorted" "$work/served.sorted"
		else
			not_ok "syslog: a detached daemon's mount, I/O errors met serving, unmount" \
				"status $(cat "$work/ns.st3")" "$(cat "$work/ns.err3")"
		fi
		expect "-f: the I/O error on stderr as well (not the mount notices); exit 0" \
			"0 rowfs: ctl pid P line 1: $corrupt" \
			"$(cat "$work/ns.st4") $(sed 's/^\(rowfs: ctl pid \)[0-9]* /\1P /' "$work/ns.err4")"
	fi
fi

# ---- rowfs@.service ----------------------------------------------------------
unit="$top_builddir/systemd/rowfs@.service"
if [ ! -f "$unit" ]; then
	not_ok "rowfs@.service is built" "no $unit"
else
	bad=""
	grep -q -x "Type=notify" "$unit" || bad="$bad [Type=notify]"
	grep -q -x 'EnvironmentFile=/etc/rowfs/%i.conf' "$unit" || bad="$bad [EnvironmentFile]"
	grep -q -x 'ExecStart=/.*/rowfs -f $OPTIONS ${DBFILE} ${MOUNTPOINT}' "$unit" || bad="$bad [ExecStart]"
	grep -q -x 'ExecStop=-/.*/fusermount3 -u ${MOUNTPOINT}' "$unit" || bad="$bad [ExecStop]"
	grep -q -x 'Restart=on-failure' "$unit" || bad="$bad [Restart]"
	grep -q '@[a-zA-Z0-9_]*@' "$unit" && bad="$bad [unsubstituted @VAR@]"
	expect "rowfs@.service: Type=notify, rowfs -f per /etc/rowfs/%i.conf, fusermount3 -u" "" "$bad"

	# what systemd does: the EnvironmentFile's variables, ExecStart= with
	# $OPTIONS split and ${VAR} one word, NOTIFY_SOCKET; then ExecStop=
	cat >"$work/svc.conf" <<EOF
DBFILE=$work/svc.db
MOUNTPOINT=$mnt
OPTIONS="-o sync=normal,cache_pages=64"
EOF
	as_systemd() {   # as_systemd Exec-line: run it with svc.conf's variables
		(
			set -a
			. "$work/svc.conf"
			set +a
			line=$(sed -n "s/^$1=-\{0,1\}//p" "$unit" |
				sed -e "s|^[^ ]*/rowfs |'$ROWFS' |" -e 's/\${\([A-Z]*\)}/"$\1"/g')
			eval "exec $line"
		)
	}
	if listen "$work/svc.sock" "$work/svc" "$mnt"; then
		NOTIFY_SOCKET=$work/svc.sock as_systemd ExecStart >"$work/svc.log" 2>&1 &
		daemon_pid=$!
		i=0
		while ! grep -q '^at READY' "$work/svc" 2>/dev/null && [ $i -lt $((T * 10)) ]; do
			sleep_a_bit
			i=$((i + 1))
		done
		echo "insert 7 svc" >"$mnt/ctl"
		cache=$(sed -n 's/^cache_pages: //p' "$mnt/stats")
		as_systemd ExecStop
		wait_daemon
		wait_listener
		expect "rowfs@.service's ExecStart=/ExecStop= as systemd runs them: READY, options, STOPPING, exit 0" \
			"READY=1|STATUS=serving $work/svc.db on $mnt
at READY: mounted=yes stats=yes
STOPPING=1 64 0 7	svc" "$(cat "$work/svc") $cache $daemon_status $(rows_of "$work/svc.db")"
		[ "$fail" -eq 0 ] || sed 's/^/# svc.log: /' "$work/svc.log"
	else
		not_ok "the notification listener binds $work/svc.sock"
	fi

	if command -v systemd-analyze >/dev/null 2>&1; then
		# as installed, but with the binary of this build
		mkdir "$work/units"
		sed "s|^ExecStart=[^ ]*|ExecStart=$(cd "$top_builddir" && pwd)/src/rowfs|" "$unit" \
			>"$work/units/rowfs@t1200.service"
		(cd "$work/units" && t systemd-analyze verify --man=no ./rowfs@t1200.service) \
			>"$work/verify" 2>&1
		st=$?
		if [ $st -eq 0 ] && [ ! -s "$work/verify" ]; then
			ok "systemd-analyze verify rowfs@.service: clean"
		else
			not_ok "systemd-analyze verify rowfs@.service: clean" "status $st" "$(cat "$work/verify")"
		fi
	else
		skip "systemd-analyze not installed"
	fi
fi

done_testing
