#!/bin/sh
# t6100-range.sh - range/START-END, first/COUNT and last/COUNT: their text
# against `cat rows` filtered with awk (empty table, gaps, bounds, counts
# larger than the table, the largest id), streamed reads (dd bs=7, head),
# 100,000 rows, invalid specs (ENOENT), empty listings, modes, and
# writing refused.  TAP.

# shellcheck disable=SC2016 # awk programs and sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

# same FILE AWK-FILTER: cat mnt/FILE equals `cat rows` through the filter.
same() {
	t cat "$mnt/rows" | awk -F '\t' "$2" >"$work/exp"
	t cat "$mnt/$1" >"$work/out"
	check "$1" "$work/exp" "$work/out"
}

# Empty table.
for f in range/0-4294967295 first/5 last/5 last/0; do
	expect "empty table: $f is empty" "" "$(t cat "$mnt/$f")"
done

# 1000 rows, ids 0, 7, 14, ..., 6993, in shuffled order, and the largest id.
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "insert %d n%d\n", (i * 373) % 1000 * 7, i }' >"$ctl"
echo "insert 4294967295 top" >"$ctl"

same range/100-199 '$1 >= 100 && $1 <= 199'
same range/0-0 '$1 == 0'
same range/700-700 '$1 == 700'
same range/701-706 '$1 >= 701 && $1 <= 706'
same range/6990-100000 '$1 >= 6990 && $1 <= 100000'
same range/0-4294967295 '1'
same range/4294967295-4294967295 '$1 == 4294967295'
same range/4294967294-4294967295 '$1 >= 4294967294'
same first/0 'NR <= 0'
same first/1 'NR <= 1'
same first/10 'NR <= 10'
same first/1001 'NR <= 1001'
same first/5000 '1'
same first/4294967295 '1'
t cat "$mnt/rows" | tail -n 1 >"$work/exp"
t cat "$mnt/last/1" >"$work/out"
check "last/1" "$work/exp" "$work/out"
t cat "$mnt/rows" | tail -n 10 >"$work/exp"
t cat "$mnt/last/10" >"$work/out"
check "last/10" "$work/exp" "$work/out"
t cat "$mnt/rows" | tail -n 500 >"$work/exp"
t cat "$mnt/last/500" >"$work/out"
check "last/500" "$work/exp" "$work/out"
expect "last/0 is empty" "" "$(t cat "$mnt/last/0")"
t cat "$mnt/rows" >"$work/exp"
t cat "$mnt/last/1001" >"$work/out"
check "last/1001: the whole table" "$work/exp" "$work/out"
t cat "$mnt/last/5000" >"$work/out"
check "last/5000 (larger than the table): the whole table" "$work/exp" "$work/out"
t cat "$mnt/last/4294967295" >"$work/out"
check "last/4294967295: the whole table" "$work/exp" "$work/out"

# Streamed reads: small reads see the same lines.
t cat "$mnt/range/100-3000" >"$work/exp"
t dd if="$mnt/range/100-3000" bs=7 2>/dev/null >"$work/out"
check "range/100-3000: dd bs=7 = cat" "$work/exp" "$work/out"
t cat "$mnt/last/300" >"$work/exp"
t dd if="$mnt/last/300" bs=1 2>/dev/null >"$work/out"
check "last/300: dd bs=1 = cat" "$work/exp" "$work/out"
expect "first/100 | head -n 2" "$(t cat "$mnt/rows" | head -n 2)" "$(t head -n 2 "$mnt/first/100")"

# Invalid specs.
for bad in range/9-1 range/abc range/1- range/-1 range/1--2 range/1-2-3 range/+1-5 \
	range/1-+5 range/01-5 range/1-05 range/1-4294967296 range/1 range/1_2 "range/1 -2" \
	first/abc first/-1 first/01 first/4294967296 first/1.5 last/x last/+3 \
	last/99999999999 last/1e3 by-id/1-2; do
	refused "cat $bad" "$ENOENT" cat "$mnt/$bad"
done
refused "stat range/10-9" "$ENOENT" stat "$mnt/range/10-9"

# The directories list nothing; valid names look up.
for d in range first last; do
	expect "ls -A $d: empty" "" "$(t ls -A "$mnt/$d")"
	expect "$d/ mode 0555" "dr-xr-xr-x" "$(t stat -c %A "$mnt/$d")"
done
for f in range/1-2 first/3 last/3; do
	expect "stat $f: 0444, the size cat reads" "-r--r--r-- $(t cat "$mnt/$f" | wc -c)" \
		"$(t stat -c '%A %s' "$mnt/$f")"
done
refused "echo > range/1-2" "Permission denied" sh -c 'echo x >"$1"' sh "$mnt/range/1-2"
refused "rm last/3" "Operation not permitted" rm -f "$mnt/last/3"
refused "mkdir range/x" "Operation not permitted" mkdir "$mnt/range/x"

# 100,000 rows more.
awk 'BEGIN { for (i = 10000; i < 110000; i++) printf "insert %d u%d\n", i, i }' >"$ctl"
t cat "$mnt/rows" >"$work/all"
tail -n 10 "$work/all" >"$work/exp"
t cat "$mnt/last/10" >"$work/out"
check "100,000 rows: last/10" "$work/exp" "$work/out"
tail -n 70000 "$work/all" >"$work/exp"
t cat "$mnt/last/70000" >"$work/out"
check "100,000 rows: last/70000" "$work/exp" "$work/out"
head -n 10 "$work/all" >"$work/exp"
t cat "$mnt/first/10" >"$work/out"
check "100,000 rows: first/10" "$work/exp" "$work/out"
awk -F '\t' '$1 >= 50000 && $1 <= 50100' "$work/all" >"$work/exp"
t cat "$mnt/range/50000-50100" >"$work/out"
check "100,000 rows: range/50000-50100" "$work/exp" "$work/out"

# A delete inside a range shows at once.
rm "$mnt/by-id/50050"
awk -F '\t' '$1 >= 50000 && $1 <= 50100 && $1 != 50050' "$work/all" >"$work/exp"
t cat "$mnt/range/50000-50100" >"$work/out"
check "after rm by-id/50050: range/50000-50100 without it" "$work/exp" "$work/out"

if daemon_alive; then ok "the daemon carries on"; else not_ok "the daemon carries on"; fi
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
done_testing
