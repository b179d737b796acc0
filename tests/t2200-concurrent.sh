#!/bin/sh
# t2200-concurrent.sh - 10 concurrent writers with disjoint ids (5 writing
# one line per write on one descriptor, 5 cutting lines across writes with
# dd bs=100) while readers loop over rows (cat, and dd bs=7): every
# snapshot is sorted, repeats no id, tears no line, holds every row of the
# snapshot before it; at the end all 5000 rows are there.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

writers=""
for w in 1 2 3 4 5 6 7 8 9 10; do
	awk -v w="$w" 'BEGIN { for (i = 0; i < 500; i++) printf "insert %d w%d_%d\n", w * 1000 + i, w, i }' \
		>"$work/in.$w"
done
for w in 1 2 3 4 5; do
	(
		exec 3>"$ctl" || exit 1
		while read -r line; do
			echo "$line" >&3 || exit 1
		done <"$work/in.$w"
	) &
	writers="$writers $!"
done
for w in 6 7 8 9 10; do
	t dd if="$work/in.$w" of="$ctl" bs=100 2>"$work/dd.$w" &
	writers="$writers $!"
done

# Readers, until every writer is done (at most 400 snapshots).
snap=0
while [ $snap -lt 400 ]; do
	busy=0
	for p in $writers; do alive "$p" && busy=1; done
	snap=$((snap + 1))
	if [ $((snap % 5)) != 1 ]; then
		t cat "$mnt/rows" >"$work/snap.$snap"
	else
		t dd if="$mnt/rows" bs=7 2>/dev/null >"$work/snap.$snap"
	fi
	[ $busy = 0 ] && break
done

status=0
for p in $writers; do
	wait "$p" || status=$?
done
expect "10 writers finished with status 0" 0 "$status"
expect "readers took snapshots while writers ran" yes "$([ $snap -ge 3 ] && echo yes || echo no)"

unsorted=0
dups=0
torn=0
lost=0
prev=""
i=1
while [ $i -le $snap ]; do
	f=$work/snap.$i
	cut -f1 "$f" | sort -n -c 2>/dev/null || unsorted=$((unsorted + 1))
	[ -z "$(cut -f1 "$f" | uniq -d)" ] || dups=$((dups + 1))
	awk '!/^[0-9]+\t[^\t]+$/ { bad = 1 } END { exit bad }' "$f" || torn=$((torn + 1))
	if [ -n "$prev" ] && [ -n "$(sort "$prev" | comm -23 - "$(sort "$f" >"$f.sorted" && echo "$f.sorted")")" ]; then
		lost=$((lost + 1))
	fi
	prev=$f
	i=$((i + 1))
done
expect "every snapshot sorted by id ($snap snapshots)" 0 "$unsorted"
expect "no snapshot repeats an id" 0 "$dups"
expect "no torn line (each matches ^[0-9]+<TAB>[^<TAB>]+\$)" 0 "$torn"
expect "each snapshot holds every row of the one before" 0 "$lost"

cat "$work"/in.* | sed 's/^insert \([0-9]*\) \(.*\)$/\1\t\2/' | sort -n >"$work/exp"
t cat "$mnt/rows" >"$work/out"
check "at the end all 5000 rows, exact" "$work/exp" "$work/out"

if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if [ -x "$FSCK" ]; then
	if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "fsck clean"; else not_ok "fsck clean" "$(cat "$work/out")"; fi
else
	skip "fsck.rowfs not built"
fi
done_testing
