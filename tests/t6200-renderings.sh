#!/bin/sh
# t6200-renderings.sh - rows.csv and rows.ndjson: empty table, header,
# one line per row in key order, the text against `cat rows` rewritten
# with awk, UTF-8 and 32-byte names byte for byte, streamed reads (dd bs=1,
# bs=7, skip=), 20,000 rows over many reads, changes through by-id/ seen
# at once; parsed by python3's csv and json modules when python3 exists
# (those cases are skipped otherwise).  TAP.

# shellcheck disable=SC2016 # awk programs and sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
csv=$mnt/rows.csv
ndjson=$mnt/rows.ndjson

have_python=no
command -v python3 >/dev/null 2>&1 && have_python=yes

# expected: $work/csv.exp and $work/ndjson.exp from `cat rows`.
expected() {
	t cat "$mnt/rows" >"$work/rows"
	{
		echo "id,username"
		awk -F '\t' '{ printf "%s,%s\n", $1, $2 }' "$work/rows"
	} >"$work/csv.exp"
	awk -F '\t' '{ printf "{\"id\":%s,\"username\":\"%s\"}\n", $1, $2 }' "$work/rows" \
		>"$work/ndjson.exp"
}

# pycheck NAME: python3 parses rows.csv and rows.ndjson into exactly the
# (id, name bytes) pairs of rows.
pycheck() {
	if [ $have_python = no ]; then
		skip "$1: python3 not installed"
		return
	fi
	if t python3 - "$mnt" >"$work/py" 2>&1 <<'EOF'; then
import csv, io, json, sys
mnt = sys.argv[1]
with open(mnt + "/rows", "rb") as f:
    rows = [tuple(l.split(b"\t", 1)) for l in f.read().split(b"\n") if l]
rows = [(int(i), n) for i, n in rows]
with open(mnt + "/rows.csv", "rb") as f:
    text = f.read().decode("utf-8")
r = list(csv.reader(io.StringIO(text, newline="")))
assert r[0] == ["id", "username"], r[0]
got = [(int(i), n.encode("utf-8")) for i, n in r[1:]]
assert got == rows, "csv differs"
with open(mnt + "/rows.ndjson", "rb") as f:
    lines = f.read().decode("utf-8").split("\n")
assert lines[-1] == "", "no final newline"
got = []
for l in lines[:-1]:
    o = json.loads(l)
    assert sorted(o) == ["id", "username"], o
    got.append((o["id"], o["username"].encode("utf-8")))
assert got == rows, "ndjson differs"
print(len(rows))
EOF
		ok "$1: python3 csv and json parse both into the rows ($(cat "$work/py") rows)"
	else
		not_ok "$1: python3 csv and json parse both into the rows" "$(tail -5 "$work/py")"
	fi
}

# The empty table: a header, nothing.
expect "empty table: rows.csv is the header" "id,username" "$(t cat "$csv")"
expect "empty table: rows.ndjson is empty" "" "$(t cat "$ndjson")"
expect "rows.csv, rows.ndjson: 0444, the header's size and 0" "-r--r--r-- 12 -r--r--r-- 0" \
	"$(t stat -c '%A %s' "$csv" "$ndjson" | tr '\n' ' ' | sed 's/ $//')"

# Names: ASCII, digits only, every allowed punctuation, UTF-8 of 2, 3 and
# 4 bytes, 32 bytes of ASCII, 32 bytes of UTF-8.
e2=$(printf '\303\251')        # é
e3=$(printf '\346\227\245')    # 日
e4=$(printf '\360\237\230\200') # 😀
{
	echo "insert 3 alice"
	echo "insert 1 0042"
	echo "insert 2 a_b.c-d"
	echo "insert 10 caf$e2"
	echo "insert 11 $e3$e3$e3"
	echo "insert 12 $e4"
	echo "insert 13 abcdefghijklmnopqrstuvwxyz012345"
	echo "insert 14 $e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2"
	echo "insert 15 $e4$e4$e4$e4$e4$e4$e4$e4"
	echo "insert 4294967295 last"
	echo "insert 0 zero"
} >"$work/in"
t cat "$work/in" >"$ctl"
expected
t cat "$csv" >"$work/out"
check "rows.csv: header, then id,username per row in key order" "$work/csv.exp" "$work/out"
t cat "$ndjson" >"$work/out"
check "rows.ndjson: one object per row in key order" "$work/ndjson.exp" "$work/out"
expect "rows.csv first lines" "$(printf 'id,username\n0,zero\n1,0042\n2,a_b.c-d')" \
	"$(t head -n 4 "$csv")"
expect "rows.ndjson first line" '{"id":0,"username":"zero"}' "$(t head -n 1 "$ndjson")"
expect "rows.ndjson last line" '{"id":4294967295,"username":"last"}' "$(t tail -n 1 "$ndjson")"
# byte for byte: the 32-byte UTF-8 names.
printf '15,%s\n' "$e4$e4$e4$e4$e4$e4$e4$e4" >"$work/exp"
t grep '^15,' "$csv" >"$work/out"
check "rows.csv: 8 four-byte characters, byte for byte" "$work/exp" "$work/out"
printf '{"id":14,"username":"%s"}\n' "$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2$e2" >"$work/exp"
t grep '"id":14,' "$ndjson" >"$work/out"
check "rows.ndjson: 16 two-byte characters, byte for byte" "$work/exp" "$work/out"
pycheck "names"

# Streamed reads: small reads and offsets see the same bytes.
for f in rows.csv rows.ndjson; do
	t cat "$mnt/$f" >"$work/exp"
	t dd if="$mnt/$f" bs=1 2>/dev/null >"$work/out"
	check "$f: dd bs=1 = cat" "$work/exp" "$work/out"
	t dd if="$mnt/$f" bs=7 2>/dev/null >"$work/out"
	check "$f: dd bs=7 = cat" "$work/exp" "$work/out"
	t dd if="$mnt/$f" bs=5 skip=3 2>/dev/null >"$work/out"
	tail -c +16 "$work/exp" >"$work/exp1"
	check "$f: dd bs=5 skip=3 (a read at an offset)" "$work/exp1" "$work/out"
done

# Changes through by-id/ and ctl show at once.
echo "bob" >"$mnt/by-id/3"
rm "$mnt/by-id/2"
echo "delete 1" >"$ctl"
expected
t cat "$csv" >"$work/out"
check "after update and deletes: rows.csv" "$work/csv.exp" "$work/out"
t cat "$ndjson" >"$work/out"
check "after update and deletes: rows.ndjson" "$work/ndjson.exp" "$work/out"

# 20,000 rows: many reads of 128 KiB, lines cut between them.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "insert %d user_%d\n", 100 + (i * 7919) % 20000, i }' \
	>"$ctl"
expected
t cat "$csv" >"$work/out"
check "20,000 rows: rows.csv" "$work/csv.exp" "$work/out"
t cat "$ndjson" >"$work/out"
check "20,000 rows: rows.ndjson" "$work/ndjson.exp" "$work/out"
expect "rows.csv: wc -l is rows + 1" $(($(wc -l <"$work/rows") + 1)) "$(t wc -l <"$csv")"
t dd if="$ndjson" bs=100 2>/dev/null >"$work/out"
check "20,000 rows: rows.ndjson by dd bs=100" "$work/ndjson.exp" "$work/out"
pycheck "20,000 rows"

if daemon_alive; then ok "the daemon carries on"; else not_ok "the daemon carries on"; fi
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
done_testing
