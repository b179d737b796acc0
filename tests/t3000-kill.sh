#!/bin/sh
# t3000-kill.sh - kill -9 of the daemon at a random moment while a writer
# inserts batches through ctl with sync=full, recording each batch whose
# write() returned success.  After fusermount3 -u of the dead mount:
# fsck.rowfs on the files as the crash left them exits 0; the remount has
# every acknowledged row; every batch is all there or not at all.
# ROWFS_KILL_TRIALS trials (default 5).  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
trials=${ROWFS_KILL_TRIALS:-5}
batch_lines=20

# batch TRIAL B: the statements of batch B as one wrtest argument.
batch() {
	j=1
	data=""
	while [ $j -le $batch_lines ]; do
		data="${data}insert $(($1 * 1000000 + $2 * 100 + j)) t$1b$2r$j\\n"
		j=$((j + 1))
	done
	printf '%s' "$data"
}

# writer TRIAL: batches until a write fails; acknowledged ones to acked.TRIAL
writer() {
	b=0
	: >"$work/acked.$1"
	while [ $b -lt 100000 ]; do
		b=$((b + 1))
		data=$(batch "$1" "$b")
		# shellcheck disable=SC2059 # the \n escapes are meant to expand
		want=$(printf "$data" | wc -c)
		res=$(t "$WRTEST" "$mnt/ctl" "$data" 2>/dev/null | head -n 1)
		[ "$res" = "$want" ] || return 0
		echo "$b" >>"$work/acked.$1"
	done
}

trial=1
while [ $trial -le "$trials" ]; do
	mount_rowfs -o sync=full || { not_ok "trial $trial: mount"; break; }
	writer "$trial" &
	wpid=$!
	# a random moment between 0.2 and 1.2 seconds
	delay=$(awk -v s="$$$trial" 'BEGIN { srand(s); printf "%.2f", 0.2 + rand() }')
	sleep "$delay"
	kill_daemon 9
	i=0
	while alive "$wpid" && [ $i -lt $((T * 10)) ]; do sleep_a_bit; i=$((i + 1)); done
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	t fusermount3 -u "$mnt" 2>/dev/null || t fusermount3 -uz "$mnt" 2>/dev/null
	acked=$(wc -l <"$work/acked.$trial")

	fsck_ok "trial $trial (killed after ${delay}s, $acked batches acknowledged), crash state"

	mount_rowfs || { not_ok "trial $trial: remount"; break; }
	t cat "$mnt/rows" >"$work/rows"
	missing=0
	while read -r ab; do
		have=$(grep -c "	t${trial}b${ab}r[0-9]*\$" "$work/rows")
		[ "$have" = $batch_lines ] || missing=$((missing + 1))
	done <"$work/acked.$trial"
	expect "trial $trial: every acknowledged batch present ($acked)" 0 "$missing"
	# atomicity: per batch of this trial, the row count is 0 or 20
	partial=$(awk -F '\t' -v t="t$trial" 'index($2, t "b") == 1 {
			b = substr($2, length(t) + 2); sub(/r.*/, "", b); c[b]++ }
		END { for (b in c) if (c[b] != '$batch_lines') n++; print n + 0 }' "$work/rows")
	expect "trial $trial: every batch all there or not at all" 0 "$partial"
	if umount_rowfs; then ok "trial $trial: clean unmount"; else not_ok "trial $trial: clean unmount"; fi
	fsck_ok "trial $trial: after remount"
	trial=$((trial + 1))
done

done_testing
