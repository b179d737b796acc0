#!/bin/sh
# t6300-concurrent-delete.sh - four writers insert, update and delete rows
# in disjoint id ranges (through ctl, through by-id/ with echo > and rm,
# and mixed) while readers loop over `ls -f by-id`, `cat rows.csv` and
# `cat rows.ndjson`: every listing is sorted and repeats no key, every
# CSV and NDJSON text is well formed (and parsed by python3 when it
# exists), and the 1000 rows nobody deletes are always all there.  At the
# end the table is exactly what the writers left, the daemon is alive,
# the unmount is clean and fsck finds nothing.  TAP.

# shellcheck disable=SC2016 # awk programs and sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
byid=$mnt/by-id
batches=${ROWFS_T6300_BATCHES:-60}

# 1000 stable rows, 500000..500999: never deleted.
awk 'BEGIN { for (i = 500000; i < 501000; i++) printf "insert %d stable%d\n", i, i }' >"$ctl"

# Writer w uses ids w * 100000 + 5b + j (b < batches, j < 5); each batch
# inserts five rows and deletes four, leaving w * 100000 + 5b + 4.
writer() {
	w=$1
	b=0
	while [ $b -lt "$batches" ]; do
		k=$((w * 100000 + 5 * b))
		case $w in
		1) # ctl only: one write inserts five, one write deletes four
			printf 'insert %d w1n\n' $k $((k + 1)) $((k + 2)) $((k + 3)) $((k + 4)) >"$ctl" || return 1
			printf 'delete %d\n' $k $((k + 1)) $((k + 2)) $((k + 3)) >"$ctl" || return 1
			;;
		2) # by-id only: echo > creates, rm deletes
			for j in 0 1 2 3 4; do echo w2n >"$byid/$((k + j))" || return 1; done
			for j in 0 1 2 3; do rm "$byid/$((k + j))" || return 1; done
			;;
		3) # ctl with updates
			printf 'insert %d w3n\n' $k $((k + 1)) $((k + 2)) $((k + 3)) $((k + 4)) >"$ctl" || return 1
			{
				printf 'update %d w3u\n' $((k + 4)) $((k + 1))
				printf 'delete %d\n' $k $((k + 1)) $((k + 2)) $((k + 3))
			} >"$ctl" || return 1
			;;
		4) # ctl inserts, by-id updates and deletes
			printf 'insert %d w4n\n' $k $((k + 1)) $((k + 2)) $((k + 3)) $((k + 4)) >"$ctl" || return 1
			echo w4u >"$byid/$((k + 4))" || return 1
			for j in 0 1 2 3; do rm "$byid/$((k + j))" || return 1; done
			;;
		esac
		b=$((b + 1))
	done
}

writers=""
for w in 1 2 3 4; do
	writer $w 2>"$work/writer.$w" &
	writers="$writers $!"
done

# Readers, until every writer is done (at most 300 rounds of three).
snap=0
while [ $snap -lt 300 ]; do
	busy=0
	for p in $writers; do alive "$p" && busy=1; done
	snap=$((snap + 1))
	t ls -f "$byid" >"$work/ls.$snap"
	t cat "$mnt/rows.csv" >"$work/csv.$snap"
	t cat "$mnt/rows.ndjson" >"$work/json.$snap"
	[ $busy = 0 ] && break
done

status=0
for p in $writers; do
	wait "$p" || status=$?
done
expect "4 writers finished with status 0" 0 "$status"
expect "readers took snapshots while writers ran" yes "$([ $snap -ge 3 ] && echo yes || echo no)"

# check_keys: stdin is one key per line; exit 0 if strictly increasing and
# all 1000 stable keys are there.
check_keys() {
	awk 'NR > 1 && $1 + 0 <= prev { bad = 1 }
		{ prev = $1 + 0 }
		$1 >= 500000 && $1 < 501000 { stable++ }
		END { exit bad || stable != 1000 }'
}
bad_ls=0
bad_csv=0
bad_json=0
i=1
while [ $i -le $snap ]; do
	{ sed -n '1p' "$work/ls.$i" | grep -qx '\.' && sed -n '2p' "$work/ls.$i" | grep -qx '\.\.' &&
		sed '1,2d' "$work/ls.$i" | check_keys; } || bad_ls=$((bad_ls + 1))
	{ sed -n '1p' "$work/csv.$i" | grep -qx 'id,username' &&
		! sed '1d' "$work/csv.$i" | grep -qv '^[0-9][0-9]*,[A-Za-z0-9_]*$' &&
		sed '1d' "$work/csv.$i" | cut -d, -f1 | check_keys; } || bad_csv=$((bad_csv + 1))
	{ ! grep -qv '^{"id":[0-9][0-9]*,"username":"[A-Za-z0-9_]*"}$' "$work/json.$i" &&
		sed 's/^{"id":\([0-9]*\),.*/\1/' "$work/json.$i" | check_keys; } ||
		bad_json=$((bad_json + 1))
	i=$((i + 1))
done
expect "ls -f by-id: every listing sorted, no repeat, all stable keys ($snap listings)" 0 "$bad_ls"
expect "rows.csv: every text well formed, sorted, no repeat, all stable rows" 0 "$bad_csv"
expect "rows.ndjson: every text well formed, sorted, no repeat, all stable rows" 0 "$bad_json"

if command -v python3 >/dev/null 2>&1; then
	if t python3 - "$work" "$snap" >"$work/py" 2>&1 <<'EOF'; then
import csv, io, json, sys
work, snaps = sys.argv[1], int(sys.argv[2])
stable = set(range(500000, 501000))
for i in range(1, snaps + 1):
    with open("%s/csv.%d" % (work, i), "rb") as f:
        r = list(csv.reader(io.StringIO(f.read().decode("utf-8"), newline="")))
    assert r[0] == ["id", "username"], (i, r[0])
    assert all(len(x) == 2 for x in r[1:]), i
    ids = [int(x[0]) for x in r[1:]]
    assert ids == sorted(set(ids)), ("csv order", i)
    assert stable <= set(ids), ("csv stable", i)
    with open("%s/json.%d" % (work, i), "rb") as f:
        objs = [json.loads(l) for l in f.read().decode("utf-8").splitlines()]
    ids = [o["id"] for o in objs]
    assert ids == sorted(set(ids)), ("json order", i)
    assert stable <= set(ids), ("json stable", i)
print(snaps)
EOF
		ok "python3 parses every rows.csv and rows.ndjson ($(cat "$work/py") of each)"
	else
		not_ok "python3 parses every rows.csv and rows.ndjson" "$(tail -5 "$work/py")"
	fi
else
	skip "python3 not installed"
fi

# What the writers left: one row per batch and writer, plus the stable rows.
awk -v n="$batches" 'BEGIN {
	split("w1n w2n w3u w4u", name, " ")
	for (w = 1; w <= 4; w++)
		for (b = 0; b < n; b++)
			printf "%d\t%s\n", w * 100000 + 5 * b + 4, name[w]
	for (i = 500000; i < 501000; i++) printf "%d\tstable%d\n", i, i
}' >"$work/exp"
t cat "$mnt/rows" >"$work/out"
check "at the end: exactly the rows the writers left" "$work/exp" "$work/out"
cut -f1 "$work/exp" >"$work/exp.keys"
t ls -f "$byid" | sed '1,2d' >"$work/out"
check "at the end: ls -f by-id lists exactly their keys" "$work/exp.keys" "$work/out"

if daemon_alive; then ok "the daemon is alive"; else not_ok "the daemon is alive"; fi
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "fsck clean"; else not_ok "fsck clean" "$(cat "$work/out")"; fi
done_testing
