#!/bin/sh
# t7300-tables-scale.sh - tables at scale through the mount:
#   - 10,000 `create table` statements (in writes of many lines): `ls
#     tables` lists 10,001 names, `ls -f tables | head -3` and the first
#     entries of a directory stream come at once, a table's files work,
#     check, fsck.rowfs and a remount see them all; then 10,000 `drop
#     table`s leave users alone;
#   - a 1 MiB text (ASCII but NUL, TAB/CR/LF through E'...', quotes,
#     backslashes, two- three- and four-byte UTF-8) as a literal in one
#     ctl line, read back byte for byte through by-id (JSON), rows.ndjson,
#     rows and dump, also after a remount; 1 MiB + 1 byte is `too long`;
#   - a ctl line of exactly 4 MiB runs; 4 MiB + 1 byte fails with `Parse
#     error: line too long` (EINVAL, written 128 KiB a write as cat does:
#     the failing write is the one with the newline) and the next line on
#     the same fd runs; one write() of a 5 MiB line (the kernel splits it
#     into requests) inserts nothing; a failing 1 MiB line in one aligned
#     write() is not lost to a write-all loop, whose retry after the
#     kernel's short count writes only its newline: the retry fails too;
#   - `cp` of 100,000 CSV rows to import: the rows exactly, stats, check;
#   - imports with a bad line at line 50,001: a duplicate key through cp
#     (EEXIST); a wrong type through 128 KiB writes on a read-write handle
#     (every write whole until the one holding the failing line's newline,
#     a short count up to the line's start when it starts in that write,
#     then EINVAL, and the text `line 50001: Error: ...`).  Either way
#     the 50,000 rows before it are committed and nothing after it.
# TAP.

# shellcheck disable=SC2016 # sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"
ctl=$mnt/ctl
ntables=10000

# ms: milliseconds since the epoch.
ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }

# tap_lines FILE: "ok NAME", "FAIL NAME: DETAIL" and "TODO NAME: DETAIL" (a
# known bug) lines of a helper as TAP.
tap_lines() {
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "${line#ok }" ;;
		"FAIL "*) not_ok "${line#FAIL }" ;;
		"TODO "*)   # a known bug: reported, not counted as a failure
			n=$((n + 1))
			echo "not ok $n - ${line#TODO } # TODO known bug" ;;
		*) not_ok "helper: $line" ;;
		esac
	done <"$1"
	[ -s "$1" ] || not_ok "the helper printed nothing"
}

mount_rowfs || { not_ok "mount"; done_testing; }

# ---- 10,000 tables ----
awk -v n=$ntables 'BEGIN { for (i = 1; i <= n; i++)
	printf "create table t%d (id integer primary key, v text, n integer)\n", i }' >"$work/create.sql"
if t sh -c 'cat "$1" >"$2"' sh "$work/create.sql" "$ctl"; then
	ok "$ntables create table statements (cat: 128 KiB writes)"
else
	not_ok "$ntables create table statements (cat: 128 KiB writes)"
fi
expect "ls tables | wc -l" $((ntables + 1)) "$(t ls "$mnt/tables" | wc -l)"
t0=$(ms)
first=$(t ls -f "$mnt/tables" | head -3 | tr '\n' ' ')
t1=$(ms)
expect "ls -f tables | head -3: users first" ". .. users " "$first"
if [ $((t1 - t0)) -lt 3000 ]; then
	ok "ls -f tables | head -3 returns at once ($((t1 - t0)) ms)"
else
	not_ok "ls -f tables | head -3 returns at once" "$((t1 - t0)) ms"
fi
# the first entries of one directory stream, timed inside
out=$(t python3 - "$mnt/tables" <<'EOF'
import os, sys, time
t0 = time.monotonic()
it = os.scandir(sys.argv[1])
names = [next(it).name for _ in range(3)]
t1 = time.monotonic()
it.close()
print(" ".join(names), t1 - t0 < 1, int((t1 - t0) * 1000))
EOF
)
case $out in
"users t1 t2 True "*) ok "the first three entries of a directory stream at once ($out ms)" ;;
*) not_ok "the first three entries of a directory stream at once" "$out" ;;
esac
expect "ls -f tables: creation order, the last one last" "t$ntables" "$(t ls -f "$mnt/tables" | tail -1)"
expect "tables/t$ntables/schema" "create table t$ntables (id integer primary key, v text, n integer);" \
	"$(t cat "$mnt/tables/t$ntables/schema")"
printf 'insert into t5000 values (1, %s, 2)\n' "'x'" | t sh -c 'cat >"$1"' sh "$ctl"
expect "a row in t5000" "1	x	2" "$(t cat "$mnt/tables/t5000/rows")"
expect "dump: begin, $ntables create table lines, a row, commit" $((ntables + 3)) "$(t cat "$mnt/dump" | wc -l)"
expect "cat check says ok with $ntables tables" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
if umount_rowfs; then ok "clean unmount with $ntables tables"; else not_ok "clean unmount with $ntables tables"; fi
if t "$FSCK" "$db" >"$work/fsck.out" 2>&1; then
	ok "fsck.rowfs exits 0 with $ntables tables"
else
	not_ok "fsck.rowfs exits 0 with $ntables tables" "status $?" "$(head -20 "$work/fsck.out")"
fi
mount_rowfs || { not_ok "remount"; done_testing; }
expect "after the remount: ls tables | wc -l" $((ntables + 1)) "$(t ls "$mnt/tables" | wc -l)"
expect "after the remount: the row in t5000" "1	x	2" "$(t cat "$mnt/tables/t5000/rows")"
awk -v n=$ntables 'BEGIN { for (i = 1; i <= n; i++) printf "drop table t%d\n", i }' >"$work/drop.sql"
if t sh -c 'cat "$1" >"$2"' sh "$work/drop.sql" "$ctl"; then
	ok "$ntables drop table statements"
else
	not_ok "$ntables drop table statements"
fi
expect "ls -f tables after the drops" ". .. users" "$(t ls -f "$mnt/tables" | tr '\n' ' ' | sed 's/ $//')"
expect "tables/t1 is gone" "" "$(t ls "$mnt/tables/t1" 2>/dev/null)"
expect "dump after the drops" "begin|commit" "$(t cat "$mnt/dump" | tr '\n' '|' | sed 's/|$//')"
expect "cat check says ok after the drops" ok "$(t cat "$mnt/check" 2>&1 | head -5)"

# ---- long values and long lines ----
printf 'create table big (id integer primary key, v text, n integer)\n' | t sh -c 'cat >"$1"' sh "$ctl"
cat >"$work/lines.py" <<'EOF'
import json, mmap, os, random, sys

mnt = sys.argv[1]
CH = 128 * 1024
MiB = 1 << 20

def check(name, cond, detail=""):
    print("ok " + name if cond else "FAIL %s: %s" % (name, str(detail)[:300]))

def lit(s):
    return "E'" + (s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
                   .replace("\t", "\\t").replace("\r", "\\r")) + "'"

def writeall(fd, data):
    """data written 128 KiB a write from a page-aligned buffer (as cat
    does, so that each write is one request): the results of the
    writes, up to the first error (-errno)."""
    buf = mmap.mmap(-1, CH)
    res, off = [], 0
    while off < len(data):
        n = min(CH, len(data) - off)
        buf[:n] = data[off:off + n]
        try:
            r = os.write(fd, memoryview(buf)[:n])
        except OSError as e:
            res.append(-e.errno)
            break
        res.append(r)
        off += r
    return res

def replies(fd):
    out = b""
    while True:
        c = os.read(fd, 65536)
        if not c:
            return out.decode()
        out += c

def value(size):
    """a text of exactly size bytes of UTF-8."""
    rnd = random.Random(size)
    alphabet = [chr(c) for c in range(1, 128)] + ["\u00e9", "\u20ac", "\U0001f600", "'", "\\"]
    parts, n = [], 0
    while n < size - 4:
        c = rnd.choice(alphabet)
        parts.append(c)
        n += len(c.encode())
    parts.append("z" * (size - n))
    return "".join(parts)

def read(name):
    with open(mnt + "/" + name, "rb") as f:
        return f.read()

v = value(MiB)
line = ("insert into big values (1, %s, 42)\n" % lit(v)).encode()
if sys.argv[2:] == ["after-remount"]:
    raw = read("tables/big/by-id/1")
    check("after the remount: by-id/1 has the 1 MiB text", json.loads(raw) == {"id": 1, "v": v, "n": 42})
    check("after the remount: dump has it", line in read("dump"))
    sys.exit(0)
fd = os.open(mnt + "/ctl", os.O_RDWR)
res = writeall(fd, line)
check("a %d-byte line with a 1 MiB text: written whole" % len(line), sum(res) == len(line), res[-2:])
r = replies(fd)
check("its reply", r == "Executed.\n", r)
raw = read("tables/big/by-id/1")
o = json.loads(raw)
check("by-id/1: one JSON object and a newline", raw.endswith(b"}\n") and raw.count(b"\n") == 1)
check("by-id/1: the 1 MiB text byte for byte", o == {"id": 1, "v": v, "n": 42})
objs = [json.loads(x) for x in read("tables/big/rows.ndjson").split(b"\n")[:-1]]
check("rows.ndjson: the 1 MiB text byte for byte", objs == [{"id": 1, "v": v, "n": 42}])
exp = ("1\t" + v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
       .replace("\r", "\\r") + "\t42\n").encode()
check("rows: the 1 MiB text byte for byte (COPY escapes)", read("tables/big/rows") == exp)
check("dump: the row as its E'...' literal", line in read("dump"))

line = ("insert into big values (2, %s, 1)\n" % lit(value(MiB + 1))).encode()
res = writeall(fd, line)
check("1 MiB + 1 byte: EINVAL from the write with the newline",
      res[-1] == -22 and all(r == CH for r in res[:-1]), res[-3:])
r = replies(fd)
check("1 MiB + 1 byte: the text", r == "Error: big.v too long (1048577 > 1048576)\n", r)

# a line of exactly 4 MiB (newline excluded): a comment pads it
head = b"insert into big values (3, 'edge', 3) -- "
line = head + b"p" * (4 * MiB - len(head)) + b"\n"
res = writeall(fd, line)
check("a line of exactly 4 MiB runs", sum(res) == len(line), res[-2:])
r = replies(fd)
check("its reply", r == "Executed.\n", r)
line = head + b"p" * (4 * MiB + 1 - len(head)) + b"\n"
res = writeall(fd, line)
check("4 MiB + 1 byte: EINVAL from the write with the newline",
      res[-1] == -22 and all(r == CH for r in res[:-1]), res[-3:])
r = replies(fd)
check("4 MiB + 1 byte: Parse error: line too long", r == "Parse error: line too long\n", r)
line = b"insert into big values (4, 'next', 4)\n"
res = writeall(fd, line)
check("the next line on the same fd runs", res == [len(line)], res)
r = replies(fd)
check("its reply", r == "Executed.\n", r)
# One write() of a 5 MiB line: the kernel sends requests of 128 KiB at
# most; the one with the newline fails, so the write returns the bytes of
# the requests before it (a short count) or -1; the text is queued.
line = b"insert into big values (5, '" + b"y" * (5 * MiB) + b"', 5)\n"
try:
    r = os.write(fd, line)
except OSError as e:
    r = -e.errno
check("one write() of a 5 MiB line: -1 EINVAL or a short count", r == -22 or 0 < r < len(line), r)
r = replies(fd)
check("one write() of a 5 MiB line: Parse error: line too long", r == "Parse error: line too long\n", r)
line = b"insert into big values (6, 'after', 6)\n"
res = writeall(fd, line)
check("a line after it runs", res == [len(line)], res)
r = replies(fd)
check("its reply", r == "Executed.\n", r)
os.close(fd)
keys = [int(x.split(b"\t")[0]) for x in read("tables/big/rows").split(b"\n")[:-1]]
check("tables/big/rows: keys 1, 3, 4, 6 (none of the failed lines)", keys == [1, 3, 4, 6], keys)

# A failing line that ends at a request boundary.  One write()
# from a page-aligned buffer (dd's, say) of a 1 MiB line and its newline
# reaches the daemon as two requests (FUSE requests are at most 1 MiB, or
# 128 KiB on older kernels): the first holds the line, the second its
# newline and fails (duplicate key).  The kernel returns a short count of
# 1 MiB; a write-all loop writes the newline again, which must fail with
# the line's errno (fs/ctl.c notes the failed tail), not pass as a blank line.
head = b"insert into big values (1, 'dup', 0) -- "
line = head + b"p" * (MiB - len(head)) + b"\n"
buf = mmap.mmap(-1, len(line))
buf[:] = line
res, off = [], 0
with open(mnt + "/ctl", "wb", buffering=0) as f:
    while off < len(line):
        try:
            r = f.write(memoryview(buf)[off:])
        except OSError as e:
            res.append(-e.errno)
            break
        res.append(r)
        off += r
name = "a failing 1 MiB line in one aligned write(): the write-all loop gets EEXIST"
print("ok " + name if res[-1] == -17 else "FAIL %s: the writes returned %s" % (name, res))
EOF
t python3 "$work/lines.py" "$mnt" >"$work/lines.out" 2>&1
tap_lines "$work/lines.out"
expect "cat check says ok after the long values" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
if umount_rowfs && mount_rowfs; then ok "unmount and remount"; else not_ok "unmount and remount"; fi
t python3 "$work/lines.py" "$mnt" after-remount >"$work/lines.out" 2>&1
tap_lines "$work/lines.out"

# ---- import of 100,000 rows ----
printf '%s\n' "create table imp (id integer primary key, name text, n integer)" \
	"create table dup (id integer primary key, name text, n integer)" \
	"create table typ (id integer primary key, name text, n integer)" | t sh -c 'cat >"$1"' sh "$ctl"
awk 'BEGIN { print "id,name,n"
	for (i = 1; i <= 100000; i++) printf "%d,\"name %d, \"\"q\"\"\",%s\n", i, i, i % 3 ? i * 7 : "" }' >"$work/imp.csv"
awk 'BEGIN { for (i = 1; i <= 100000; i++) printf "%d\tname %d, \"q\"\t%s\n", i, i, i % 3 ? i * 7 : "\\N" }' >"$work/imp.rows"
if t cp "$work/imp.csv" "$mnt/tables/imp/import"; then ok "cp 100,000 CSV rows to import"; else not_ok "cp 100,000 CSV rows to import"; fi
t cat "$mnt/tables/imp/rows" >"$work/out"
check "tables/imp/rows: the 100,000 rows exactly" "$work/imp.rows" "$work/out"
expect "tables/imp/stats: rows" "rows: 100000" "$(t grep '^rows:' "$mnt/tables/imp/stats")"
expect "cat check says ok after the import" ok "$(t cat "$mnt/check" 2>&1 | head -5)"

# a duplicate key at line 50,001 (no header): cp stops with EEXIST
awk 'BEGIN { for (i = 1; i <= 100000; i++)
	if (i == 50001) print "1,dup,0"; else printf "%d,name%d,%d\n", i, i, i }' >"$work/dup.csv"
awk 'BEGIN { for (i = 1; i <= 50000; i++) printf "%d\tname%d\t%d\n", i, i, i }' >"$work/dup.rows"
if t cp "$work/dup.csv" "$mnt/tables/dup/import" 2>"$work/err"; then
	not_ok "cp with a duplicate key at line 50,001 fails" "it succeeded"
elif grep -q "File exists" "$work/err"; then
	ok "cp with a duplicate key at line 50,001 fails: File exists"
else
	not_ok "cp with a duplicate key at line 50,001 fails: File exists" "$(cat "$work/err")"
fi
t cat "$mnt/tables/dup/rows" >"$work/out"
check "the 50,000 rows before it committed, row 1 unchanged, nothing after" "$work/dup.rows" "$work/out"

# a wrong type at line 50,001, written 128 KiB a write on a read-write handle
awk 'BEGIN { for (i = 1; i <= 100000; i++)
	if (i == 50001) print "50001,x,many"; else printf "%d,name%d,%d\n", i, i, i }' >"$work/typ.csv"
t python3 - "$work/typ.csv" "$mnt/tables/typ/import" >"$work/typ.out" 2>&1 <<'EOF'
import mmap, os, sys
with open(sys.argv[1], "rb") as f:
    data = f.read()
CH = 128 * 1024
start = data.index(b"\n50001,") + 1          # the failing line
end = data.index(b"\n", start)               # its newline
# every write is whole until the one holding that newline; if the line
# starts inside that write, a short count up to its start comes first;
# then EINVAL
last = end // CH * CH
want = [CH] * (end // CH)
if start > last:
    want.append(start - last)
want.append(-22)
buf = mmap.mmap(-1, CH)
fd = os.open(sys.argv[2], os.O_RDWR)
res, off = [], 0
while off < len(data):
    n = min(CH, len(data) - off)
    buf[:n] = data[off:off + n]
    try:
        r = os.write(fd, memoryview(buf)[:n])
    except OSError as e:
        res.append(-e.errno)
        break
    res.append(r)
    off += r
text = os.read(fd, 4096).decode()
os.close(fd)
if res == want:
    print("ok a wrong type at line 50,001: %d whole writes, %s, then EINVAL"
          % (end // CH, "a short count to its start" if start > last else "no short count"))
else:
    print("FAIL a wrong type at line 50,001: the writes: %s, wanted %s" % (res[-3:], want[-3:]))
want = "line 50001: Error: typ.n expects integer, got text\n"
print("ok the error text names line 50001" if text == want else
      "FAIL the error text names line 50001: %r" % text)
EOF
tap_lines "$work/typ.out"
t cat "$mnt/tables/typ/rows" >"$work/out"
check "the 50,000 rows before it committed, nothing after" "$work/dup.rows" "$work/out"
expect "cat check says ok at the end" ok "$(t cat "$mnt/check" 2>&1 | head -5)"
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if t "$FSCK" "$db" >"$work/fsck.out" 2>&1; then
	ok "fsck.rowfs exits 0"
else
	not_ok "fsck.rowfs exits 0" "status $?" "$(head -20 "$work/fsck.out")"
fi
done_testing
