#!/bin/sh
# t2300-readers.sh - everyday readers on the generated files: cat, head,
# tail, wc, grep, dd (bs=1, bs=7, skip=), cp, less, python3 read(); a read
# right after a write sees the row; the constants.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

# 20000 rows in shuffled order: rows is about 300 KB, several 128 KiB reads.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "insert %d user_%d\n", (i * 7919) % 20000, i }' \
	>"$work/in"
t cat "$work/in" >"$ctl"
sed 's/^insert \([0-9]*\) \(.*\)$/\1\t\2/' "$work/in" | sort -n >"$work/rows.exp"

# reader NAME FILE: the tools agree with the expected text $work/FILE.exp
readers() {
	f=$mnt/$1
	exp=$work/$1.exp
	t cat "$f" >"$work/out"
	check "$1: cat" "$exp" "$work/out"
	expect "$1: head -n 3" "$(head -n 3 "$exp")" "$(t head -n 3 "$f")"
	expect "$1: tail -n 3" "$(tail -n 3 "$exp")" "$(t tail -n 3 "$f")"
	expect "$1: wc -l" "$(wc -l <"$exp")" "$(t wc -l <"$f")"
	pattern=$(sed -n '2p' "$exp")
	expect "$1: grep -x -F (line 2)" "$pattern" "$(t grep -x -F "$pattern" "$f")"
	t dd if="$f" bs=7 2>/dev/null >"$work/out"
	check "$1: dd bs=7" "$exp" "$work/out"
	t dd if="$f" bs=1 count=3000 2>/dev/null >"$work/out"
	head -c 3000 "$exp" >"$work/exp1"
	check "$1: dd bs=1 count=3000" "$work/exp1" "$work/out"
	t dd if="$f" bs=100 skip=3 2>/dev/null >"$work/out"
	tail -c +301 "$exp" >"$work/exp1"
	check "$1: dd bs=100 skip=3 (read at an offset)" "$work/exp1" "$work/out"
	rm -f "$work/copy"
	t cp "$f" "$work/copy"
	check "$1: cp" "$exp" "$work/copy"
	if command -v less >/dev/null 2>&1; then
		t less -F -X "$f" </dev/null >"$work/out" 2>&1
		check "$1: less (not a terminal)" "$exp" "$work/out"
	else
		skip "$1: less not installed"
	fi
	if command -v python3 >/dev/null 2>&1; then
		t python3 -c '
import sys
with open(sys.argv[1], "rb") as f:
    a = f.read()
    f.seek(0)
    b = f.read()
sys.stdout.buffer.write(a if a == b else b"read after seek(0) differs\n")
' "$f" >"$work/out" 2>&1
		check "$1: python3 read(), seek(0), read()" "$exp" "$work/out"
	else
		skip "$1: python3 not installed"
	fi
}

readers rows

cat >"$work/constants.exp" <<EOF
PAGE_SIZE: 4096
ROW_SIZE: 36
LEAF_NODE_CELL_SIZE: 40
LEAF_NODE_MAX_CELLS: 102
INTERNAL_NODE_CELL_SIZE: 8
INTERNAL_NODE_MAX_KEYS: 510
EOF
readers constants

# btree and stats: the reference is one cat (each open renders anew).
t cat "$mnt/btree" >"$work/btree.exp"
if [ "$(wc -l <"$work/btree.exp")" -gt 100 ] && head -n 1 "$work/btree.exp" | grep -q "^internal"; then
	ok "btree: an internal root and over 100 lines"
else
	not_ok "btree: an internal root and over 100 lines" "$(head -3 "$work/btree.exp")"
fi
readers btree
t cat "$mnt/stats" >"$work/stats.exp"
if grep -q -x "rows: 20000" "$work/stats.exp"; then ok "stats: rows: 20000"; else
	not_ok "stats: rows: 20000" "$(cat "$work/stats.exp")"; fi

# A read right after a write sees the row (no kernel caching), 50 times.
missed=0
i=0
while [ $i -lt 50 ]; do
	echo "insert $((50000 + i)) fresh$i" >"$ctl"
	t tail -n 1 "$mnt/rows" | grep -q -x "$((50000 + i))	fresh$i" || missed=$((missed + 1))
	grep -q -x "rows: $((20001 + i))" "$mnt/stats" || missed=$((missed + 1))
	i=$((i + 1))
done
expect "50 times: rows and stats read right after the write see it" 0 "$missed"

if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
done_testing
