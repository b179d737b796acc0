#!/bin/sh
# t7200-tables-kill.sh - kill -9 of the daemon while three writers write
# transactions over two tables (tests/twotables.py: a(id, v text) and
# b(id, n integer); every transaction inserts a marker pair into both and
# updates, deletes and transfers in both, half framed by begin/commit).
# A writer logs a transaction's number only after its write(2) returned
# the whole length (sync=full).  ROWFS_KILL_TRIALS rounds (default 4) on
# the same database, cache_pages=8 in every other one: once each writer
# has had a transaction acknowledged, a random sleep of 0..2 s, kill -9,
# then
#   - fsck.rowfs exits 0 on the files as the kill left them (unmounted);
#   - after the remount, the invariants across both tables hold in the
#     dump (one snapshot); each writer's rows are exactly those of its
#     acknowledged transactions, or of those and the one in flight; every
#     logged transaction's marker is in a and in b; the rows of earlier
#     rounds are as the remount before showed them;
#   - `cat check` says ok.
# At the end: a clean unmount and fsck.rowfs exits 0.  TAP.

# shellcheck disable=SC2016 # sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
trials=${ROWFS_KILL_TRIALS:-4}
tt=$top_srcdir/tests/twotables.py

fsck_ok() {
	if t "$FSCK" "$db" >"$work/fsck.out" 2>&1; then
		ok "$1: fsck.rowfs exits 0"
	else
		not_ok "$1: fsck.rowfs exits 0" "status $?" "$(head -20 "$work/fsck.out")"
	fi
}

mount_rowfs || { not_ok "mount"; done_testing; }
if printf '%s\n' "create table a (id integer primary key, v text)" \
	"create table b (id integer primary key, n integer)" \
	"insert into a values (-1, '1000'), (-2, '1000'), (-3, '1000')" \
	"insert into b values (-1, 0), (-2, 0), (-3, 0)" |
	t sh -c 'cat >"$1"' sh "$mnt/ctl"; then
	ok "create tables a and b and the writers' balance rows"
else
	not_ok "create tables a and b and the writers' balance rows"
fi
prev=-

round=1
while [ $round -le "$trials" ]; do
	opts=""
	[ $((round % 2)) = 0 ] && opts="-o cache_pages=8"
	for w in 1 2 3; do
		# writers run until the kill (at most 60 s)
		t python3 "$tt" writer "$mnt/ctl" $w 60 "$$$round$w" $(((round * 10 + w) * 100000)) \
			"$work/model.$round.$w" expect-kill >"$work/writer.$w" 2>&1 &
		eval "wpid$w=\$!"
	done
	# once every writer has had a transaction acknowledged, a random moment
	# of the next 2 s
	i=0
	while [ $i -lt $((T * 10)) ]; do
		[ -s "$work/model.$round.1.acked" ] && [ -s "$work/model.$round.2.acked" ] &&
			[ -s "$work/model.$round.3.acked" ] && break
		sleep_a_bit
		i=$((i + 1))
	done
	delay=$(awk -v s="$$$round" 'BEGIN { srand(s); printf "%.2f", 2 * rand() }')
	sleep "$delay"
	kill_daemon 9
	name="round $round${opts:+ ($opts)}, killed ${delay}s into it"
	wfail=""
	for w in 1 2 3; do
		eval "wait \$wpid$w"
		st=$?
		[ $st -eq 0 ] || wfail="$wfail writer $w (status $st): $(cat "$work/writer.$w")"
	done
	if [ -z "$wfail" ]; then
		ok "$name: writers ($(cat "$work/writer.1" "$work/writer.2" "$work/writer.3" | tr '\n' ' '))"
	else
		not_ok "$name: writers" "$wfail"
	fi
	unmount_quietly "$mnt"
	fsck_ok "$name: the files as the kill left them"
	# shellcheck disable=SC2086 # opts is empty or one option and its value
	mount_rowfs $opts || { not_ok "$name: remount"; break; }
	if out=$(t python3 "$tt" after-kill "$mnt" 3 "$prev" "$work/rows.$round" "$work"/model.$round.?); then
		ok "$name: invariants in the dump, acknowledged transactions all there ($out)"
	else
		not_ok "$name: invariants in the dump, acknowledged transactions all there" "$out"
	fi
	prev=$work/rows.$round
	expect "$name: cat check says ok" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
	round=$((round + 1))
done

if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
fsck_ok "at the end"
done_testing
