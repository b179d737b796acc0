#!/bin/sh
# t7400-tables-hostile.sh - tables/T/ as a careless user and an attacker
# drive it: CSV import with a stray quote (the line ends at its newline and
# fails there, naming its line), a UTF-8 byte order mark at the start of an
# import, JSON booleans (no column takes them), extreme keys in by-id/,
# range/, first/, last/, NULLs everywhere, st_size against what cat reads
# while another handle holds an explicit transaction, the files of a
# dropped table, and a daemon that is still alive at the end.  TAP.

# shellcheck disable=SC2016 # sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
MIN=-9223372036854775808
MAX=9223372036854775807

# run LINES...: each line written to ctl in one write.
run() {
	printf '%s\n' "$@" | t sh -c 'cat >"$1"' sh "$ctl" 2>"$work/run.err"
}

# pywrite FILE DATA-EXPR: python3 writes the bytes of DATA-EXPR (a Python
# expression) to FILE opened O_RDWR in one write() loop that stops at the
# first failure, then reads the replies; prints "COUNT|ERRNO-NAME|REPLY"
# (COUNT the bytes the writes accepted, ERRNO-NAME "ok" or the errno's
# name, REPLY the first reply line).
pywrite() {
	t python3 - "$1" "$2" <<'EOF'
import errno, os, sys
data = eval(sys.argv[2])
fd = os.open(sys.argv[1], os.O_RDWR)
off, err = 0, "ok"
try:
    while off < len(data):
        off += os.write(fd, data[off:])
except OSError as e:
    err = errno.errorcode[e.errno]
os.set_blocking(fd, False)
try:
    reply = os.read(fd, 4096).decode().split("\n")[0]
except OSError:
    reply = ""
try:
    os.close(fd)
except OSError as e:
    err += ",close " + errno.errorcode[e.errno]
print("%d|%s|%s" % (off, err, reply))
EOF
}

if run "create table imp (id integer primary key, name text, n integer)" \
	"create table t (id integer primary key, name text, score real, data blob)"; then
	ok "create tables"
else
	not_ok "create tables" "$(cat "$work/run.err")"
fi
imp=$mnt/tables/imp/import

# ---- CSV import: a quote inside an unquoted field ----
# RFC 4180 quotes a field only when it starts with '"'; the line splitter
# must agree with the parser, or one stray quote swallows the rest of the
# input into one "quoted" line that fails only at close, without a line
# number.
out=$(pywrite "$imp" 'b"".join(b"%d,n%d,%d\n" % (i, i, i) if i != 10 else b"10,na\"me,10\n" for i in range(1, 20001))')
expect "a stray quote on line 10: 9 lines committed, then EINVAL and the line's text" \
	'63|EINVAL|line 10: Parse error: Quote in an unquoted field at byte 5' "$out"
expect "the rows before it are in, none after" "9" "$(t cat "$mnt/tables/imp/rows" | wc -l | tr -d ' ')"
out=$(pywrite "$imp" 'b"11,x\"y\",11\n12,\"a\nb\",12\n"')
expect "quote mid-field, then a quoted newline on the next line" \
	'0|EINVAL|line 1: Parse error: Quote in an unquoted field at byte 4' "$out"
out=$(pywrite "$imp" 'b"11,\"x\"\"y\",11\n12,\"a\nb\",12\n13,\"\",\n"')
expect "doubled quotes and quoted newlines still frame" '32|ok|' "$out"
expect "their rows" '11	x"y	11|12	a\nb	12|13		\N' \
	"$(t grep -E '^1[123]	' "$mnt/tables/imp/rows" | tr '\n' '|' | sed 's/|$//')"
run "delete from imp"

# ---- a byte order mark (what spreadsheets put first in a UTF-8 CSV) ----
out=$(pywrite "$imp" 'b"\xef\xbb\xbfid,name,n\n1,a,1\n"')
expect "CSV with a BOM and a header" '19|ok|' "$out"
out=$(pywrite "$imp" 'b"\xef\xbb\xbf2,b,2\n"')
expect "CSV with a BOM, no header" '9|ok|' "$out"
out=$(pywrite "$imp" 'b"\xef\xbb\xbf{\"id\":3,\"name\":\"c\"}\n"')
expect "NDJSON with a BOM" '23|ok|' "$out"
expect "the rows of the three" '1	a	1|2	b	2|3	c	\N' \
	"$(t cat "$mnt/tables/imp/rows" | tr '\n' '|' | sed 's/|$//')"
out=$(pywrite "$imp" 'b"4,d,4\n\xef\xbb\xbf5,e,5\n"')
expect "a BOM after the start is data (a text in an integer column)" \
	'6|EINVAL|line 2: Error: imp.id expects integer, got text' "$out"
run "delete from imp"

# ---- JSON booleans: no column type takes them (no silent 1 or 0) ----
putrow="env printf '%s\\n' \"\$2\" >\"\$1\""
t sh -c "$putrow" sh "$mnt/tables/t/by-id/1" '{"name":"one","score":2.5}'
refused "true into a real column" "$EINVAL" sh -c "$putrow" sh "$mnt/tables/t/by-id/1" '{"score":true}'
refused "false into a text column" "$EINVAL" sh -c "$putrow" sh "$mnt/tables/t/by-id/1" '{"name":false}'
refused "true into a new row" "$EINVAL" sh -c "$putrow" sh "$mnt/tables/t/by-id/2" '{"score":true}'
expect "row 1 unchanged, row 2 absent" '{"id":1,"name":"one","score":2.5,"data":null}|' \
	"$(t cat "$mnt/tables/t/by-id/1" "$mnt/tables/t/by-id/2" 2>/dev/null | tr '\n' '|')"
out=$(pywrite "$imp" 'b"{\"id\":1,\"n\":true}\n"')
expect "import: a boolean is refused with its column" \
	'0|EINVAL|line 1: Error: imp.n expects integer, got boolean' "$out"

# ---- extreme keys, NULLs everywhere ----
if run "insert into t values ($MIN, null, null, null)" "insert into t values ($MAX, null, null, null)" \
	"insert into t values (0, null, null, null)" "insert into t values (-1, '', -0.0, x'')"; then
	ok "rows at INT64_MIN, INT64_MAX, 0, -1"
else
	not_ok "rows at INT64_MIN, INT64_MAX, 0, -1" "$(cat "$work/run.err")"
fi
tt=$mnt/tables/t
expect "by-id/INT64_MIN" "{\"id\":$MIN,\"name\":null,\"score\":null,\"data\":null}" "$(t cat "$tt/by-id/$MIN")"
expect "ls by-id: key order across the whole range" "$MIN -1 0 1 $MAX" \
	"$(t ls -f "$tt/by-id" | grep -v '^\.' | tr '\n' ' ' | sed 's/ $//')"
expect "range/MIN..MAX" "$MIN -1 0 1 $MAX" "$(t cut -f1 "$tt/range/$MIN..$MAX" | tr '\n' ' ' | sed 's/ $//')"
expect "range/MAX..MAX" "$MAX" "$(t cut -f1 "$tt/range/$MAX..$MAX" | tr '\n' ' ' | sed 's/ $//')"
expect "range/0-MAX" "0 1 $MAX" "$(t cut -f1 "$tt/range/0-$MAX" | tr '\n' ' ' | sed 's/ $//')"
expect "first/1, last/1" "$MIN $MAX" "$(t cut -f1 "$tt/first/1" "$tt/last/1" | tr '\n' ' ' | sed 's/ $//')"
for name in by-id/9223372036854775808 by-id/-9223372036854775809 range/-9223372036854775809..0 \
	range/0..9223372036854775808 first/4294967296 by-id/-0; do
	refused "$name" "$ENOENT" cat "$tt/$name"
done
refused "rename a temporary file to a key past INT64_MAX" "$EPERM" \
	sh -c 'echo "{}" >"$1/tmp1" && mv "$1/tmp1" "$1/9223372036854775808"' sh "$tt/by-id"
rm -f "$tt/by-id/tmp1"

# sizes: every file's st_size is what cat reads
sizes_agree() {
	bad=""
	for f in rows rows.csv rows.ndjson stats btree schema "by-id/$MIN" "by-id/$MAX" by-id/-1 \
		"range/$MIN..$MAX" first/3 last/3; do
		s=$(t stat -c %s "$tt/$f")
		c=$(t cat "$tt/$f" | wc -c | tr -d ' ')
		[ "$s" = "$c" ] || bad="$bad $f:$s/$c"
	done
	s=$(t stat -c %s "$mnt/dump")
	c=$(t cat "$mnt/dump" | wc -c | tr -d ' ')
	[ "$s" = "$c" ] || bad="$bad dump:$s/$c"
	echo "${bad:-agree}"
}
expect "st_size is what cat reads" "agree" "$(sizes_agree)"

# ---- inside an explicit transaction held open by another handle ----
before=$(t cat "$tt/rows")
exec 7<>"$ctl"
printf 'begin\n' >&7
printf '%s\n' "insert into t values (5, 'txn', 1, x'00')" >&7
printf '%s\n' "update t set name = 'a much longer name than before' where id = -1" >&7
printf '%s\n' "delete from t where id = $MAX" >&7
expect "a stat while a transaction is open: the committed state" "agree" "$(sizes_agree)"
expect "cat rows while it is open: the committed rows" "$before" "$(t cat "$tt/rows")"
printf 'rollback\n' >&7
exec 7>&-
expect "after the rollback" "agree" "$(sizes_agree)"

# ---- a table dropped while its files are open ----
run "create table d (id integer primary key, v text)" \
	"insert into d values (1, 'a'), (2, null), (3, 'c')"
out=$(t python3 - "$mnt" <<'EOF'
import errno, os, sys
m = sys.argv[1]
d = m + "/tables/d/"
rows = open(d + "rows", "rb")
first = rows.read(2)
ls = os.scandir(d + "by-id")
one = next(ls).name
tmp = os.open(d + "by-id/tmpX", os.O_RDWR | os.O_CREAT)
os.write(tmp, b"x")
fd = os.open(m + "/ctl", os.O_WRONLY)
os.write(fd, b"drop table d\n")
res = [first + rows.read(), one + "," + ",".join(e.name for e in ls)]
for f in ["rows", "by-id", "by-id/1", "by-id/tmpX", "stats"]:
    try:
        os.stat(d + f)
        res.append(f + ":exists")
    except OSError as e:
        res.append(f + ":" + errno.errorcode[e.errno])
os.close(tmp)
os.close(fd)
print("|".join(str(x) for x in res))
EOF
)
expect "an open rows and listing read on; names are ENOENT" \
	"b'1\\ta\\n2\\t\\\\N\\n3\\tc\\n'|1,2,3|rows:ENOENT|by-id:ENOENT|by-id/1:ENOENT|by-id/tmpX:ENOENT|stats:ENOENT" \
	"$out"

# ---- changes: a row whose line is longer than any read (FUSE reads 128 KiB) ----
# The feed returns whole lines when one fits; a longer line comes in parts,
# or no reader could ever pass it.
run "create table big (id integer primary key, t text)"
timeout 6 cat "$mnt/changes" >"$work/feed" 2>"$work/feed.err" &
feed_pid=$!
sleep 1
t python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
os.write(fd, b"insert into big values (1, \x27" + b"q" * 300000 + b"\x27)\n")
os.write(fd, b"insert 77 after\n")
' "$ctl"
wait "$feed_pid"
expect "cat changes: the 300 KB line whole, then the next commit, no error" \
	"insert big 1 300015|insert 77 after|" \
	"$(awk '{ if (NF == 5) printf "%s %s %s %d|", $2, $3, $4, length($5); else printf "%s %s %s|", $2, $3, $4 }' "$work/feed")$(cat "$work/feed.err")"

if daemon_alive; then ok "the daemon is alive"; else not_ok "the daemon is alive"; fi
if umount_rowfs; then ok "unmount, status 0"; else not_ok "unmount, status 0"; fi
fsck_ok "after it all"
done_testing
