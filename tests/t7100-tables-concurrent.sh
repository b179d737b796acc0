#!/bin/sh
# t7100-tables-concurrent.sh - transactions over two tables from three
# writers at once, while two readers read the tables' files.
#
# Tables a (id, v text) and b (id, n integer).  Three writers
# (tests/twotables.py writer), each on its own ctl fd, write for
# ROWFS_T7100_SECONDS seconds (default 5) transactions that insert, update
# and delete in both tables in one write(2), half of them framed by
# begin/commit lines, keeping two invariants a snapshot shows: a key K > 0
# is in a exactly when it is in b, with a's text naming b's value; each
# writer's balance rows of a and b add up to 1000.  Every write must
# return its whole length and every statement reply `Executed.`.
# Meanwhile two readers loop over tables/a/rows, tables/b/rows.csv,
# tables/a/rows.ndjson, the listing of tables/b/by-id, first/, last/ and
# range/ files, row files of a, and dump: each sorted by key without a key
# twice, within its bounds, CSV and JSON parsed by python3, and
# the invariants across both tables hold in every dump (one snapshot of
# the whole database; two files are two snapshots).  At the end the dump
# holds exactly the rows the writers' acknowledged transactions made,
# `cat check` says ok, and fsck.rowfs passes after the unmount.  TAP.

# shellcheck disable=SC2016 # sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
secs=${ROWFS_T7100_SECONDS:-5}
tt=$top_srcdir/tests/twotables.py

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

for w in 1 2 3; do
	t python3 "$tt" writer "$mnt/ctl" $w "$secs" "$$$w" $((w * 100000)) "$work/model.$w" \
		>"$work/writer.$w" 2>&1 &
	eval "wpid$w=\$!"
done
for r in 1 2; do
	t python3 "$tt" reader "$mnt" $((secs + 1)) 3 >"$work/reader.$r" 2>&1 &
	eval "rpid$r=\$!"
done

for w in 1 2 3; do
	eval "wait \$wpid$w"
	st=$?
	if [ $st -eq 0 ] && [ "$(grep -c '^transactions=' "$work/writer.$w")" = 1 ]; then
		ok "writer $w: every write whole, every reply Executed. ($(cat "$work/writer.$w"))"
	else
		not_ok "writer $w: every write whole, every reply Executed." "status $st" "$(cat "$work/writer.$w")"
	fi
done
for r in 1 2; do
	eval "wait \$rpid$r"
	st=$?
	# a reader that read nothing proves nothing: at least 3 rounds
	if [ $st -eq 0 ] && grep -Eq '^byid=[0-9]+ csv=[0-9]+ dump=([3-9]|[1-9][0-9]+) ' "$work/reader.$r"; then
		ok "reader $r: files sorted, no key twice, CSV/NDJSON valid, slices in bounds, invariants in every dump ($(cat "$work/reader.$r"))"
	else
		not_ok "reader $r: files sorted, no key twice, CSV/NDJSON valid, invariants in every dump" \
			"status $st" "$(cat "$work/reader.$r")"
	fi
done

if out=$(t python3 "$tt" final "$mnt" 3 "$work"/model.?); then
	ok "dump: the invariants hold and it holds exactly the acknowledged rows ($out)"
else
	not_ok "dump: the invariants hold and it holds exactly the acknowledged rows" "$out"
fi
# one more round of every file, now quiet
if out=$(t python3 "$tt" reader "$mnt" 0.01 3); then
	ok "the files at rest ($out)"
else
	not_ok "the files at rest" "$out"
fi
expect "the row counts of a and b agree (stats)" "$(t sed -n 's/^rows: //p' "$mnt/tables/a/stats")" \
	"$(t sed -n 's/^rows: //p' "$mnt/tables/b/stats")"
expect "cat check says ok" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if t "$FSCK" "$db" >"$work/fsck.out" 2>&1; then
	ok "fsck.rowfs exits 0"
else
	not_ok "fsck.rowfs exits 0" "status $?" "$(head -20 "$work/fsck.out")"
fi
done_testing
