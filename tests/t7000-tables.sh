#!/bin/sh
# t7000-tables.sh - tables/ in the mount: the listing, every file of
# tables/T/ (schema, rows in COPY text, rows.csv, rows.ndjson, btree,
# stats, by-id/ with JSON and one-value row files, range/ with negative
# keys, first/, last/, import), tables/users/ equal to the root's files,
# the errno of every refusal, and python3's csv and json parsing every
# rendering.  TAP.

# shellcheck disable=SC2016 # sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
tt=$mnt/tables/t

# run LINES...: each line written to ctl in one write; replies to $work/replies.
run() {
	printf '%s\n' "$@" | t sh -c 'cat >"$1"' sh "$ctl" 2>"$work/run.err"
}

if run "create table t (id integer primary key, name text not null, score real, data blob, note text default 'dflt')" \
	"create table kv (k integer primary key, v text)" \
	"insert into t values (-5, 'neg', -0.5, x'00ff', null)" \
	"insert into t values (1, E'tab\\there', 2.5, null, 'a,b')" \
	"insert into t values (2, E'line\\nbreak\\\\', 1e+100, x'', '')" \
	"insert into t (id, name) values (3, 'q\"uote')" \
	"insert into kv values (1, 'one')" \
	"insert into kv values (2, null)" \
	"insert 7 alice" "insert 8 bob"; then
	ok "create two tables and insert through ctl"
else
	not_ok "create two tables and insert through ctl" "$(cat "$work/run.err")"
fi

# ---- listings ----
expect "ls tables: users first, then creation order" "users t kv" \
	"$(t ls -f "$mnt/tables" | grep -v '^\.' | tr '\n' ' ' | sed 's/ $//')"
expect "ls tables/t" "btree by-id first import last range rows rows.csv rows.ndjson schema stats" \
	"$(t ls "$tt" | tr '\n' ' ' | sed 's/ $//')"
expect "the root lists tables/" "tables" "$(t ls "$mnt" | grep '^tables$')"
expect "stat tables/t: a directory 0755" "drwxr-xr-x" "$(t stat -c %A "$tt")"
expect "stat tables/t/import: 0200" "--w-------" "$(t stat -c %A "$tt/import")"
expect "stat tables/t/rows: 0444" "-r--r--r--" "$(t stat -c %A "$tt/rows")"

# ---- schema ----
expect "schema (as .schema prints it)" "create table t (id integer primary key, name text not null, score real, data blob, note text default 'dflt');" \
	"$(t cat "$tt/schema")"

# ---- rows: PostgreSQL COPY text ----
printf '%s\n' '-5	neg	-0.5	\x00ff	\N' '1	tab\there	2.5	\N	a,b' \
	'2	line\nbreak\\	1e+100	\x	' '3	q"uote	\N	\N	dflt' >"$work/exp"
t cat "$tt/rows" >"$work/out"
check "tables/t/rows: COPY text, key order, negative keys first" "$work/exp" "$work/out"

# ---- rows.csv ----
cat >"$work/exp" <<'EOF'
id,name,score,data,note
-5,neg,-0.5,\x00ff,
1,tab	here,2.5,,"a,b"
2,"line
break\",1e+100,\x,""
3,"q""uote",,,dflt
EOF
t cat "$tt/rows.csv" >"$work/out"
check "tables/t/rows.csv: header, RFC 4180, NULL empty, empty text \"\"" "$work/exp" "$work/out"

# ---- rows.ndjson ----
cat >"$work/exp" <<'EOF'
{"id":-5,"name":"neg","score":-0.5,"data":"\\x00ff","note":null}
{"id":1,"name":"tab\u0009here","score":2.5,"data":null,"note":"a,b"}
{"id":2,"name":"line\u000abreak\\","score":1e+100,"data":"\\x","note":""}
{"id":3,"name":"q\"uote","score":null,"data":null,"note":"dflt"}
EOF
t cat "$tt/rows.ndjson" >"$work/out"
check "tables/t/rows.ndjson" "$work/exp" "$work/out"

# ---- users under tables/ is the root's ----
for f in rows rows.csv rows.ndjson btree; do
	if t cmp -s "$mnt/$f" "$mnt/tables/users/$f"; then
		ok "tables/users/$f is byte-identical to $f"
	else
		not_ok "tables/users/$f is byte-identical to $f"
	fi
done
refused "tables/users/import" "$EACCES" sh -c 'echo 9,x >"$1"' sh "$mnt/tables/users/import"

# ---- stats, btree ----
expect "tables/t/stats" "rows: 4|depth: 1|pages: 1|columns: 5" "$(t cat "$tt/stats" | tr '\n' '|' | sed 's/|$//')"
if t grep -q "leaf" "$tt/btree"; then ok "tables/t/btree shows a leaf"; else not_ok "tables/t/btree shows a leaf" "$(t cat "$tt/btree")"; fi

# ---- row files ----
expect "by-id/-5: one JSON object" '{"id":-5,"name":"neg","score":-0.5,"data":"\\x00ff","note":null}' \
	"$(t cat "$tt/by-id/-5")"
expect "st_size of by-id/-5 is its length" "$(t cat "$tt/by-id/-5" | wc -c)" "$(t stat -c %s "$tt/by-id/-5")"
expect "kv/by-id/1: the one value" "one" "$(t cat "$mnt/tables/kv/by-id/1")"
expect "kv/by-id/2: NULL is an empty line" "1" "$(t cat "$mnt/tables/kv/by-id/2" | wc -c)"
expect "ls tables/t/by-id: key order" "-5 1 2 3" "$(t ls -f "$tt/by-id" | grep -v '^\.' | tr '\n' ' ' | sed 's/ $//')"

t sh -c 'echo "{\"name\":\"zed\",\"score\":4}" >"$1"' sh "$tt/by-id/10"
expect "write a new row file: inserted, defaults filled" '{"id":10,"name":"zed","score":4.0,"data":null,"note":"dflt"}' \
	"$(t cat "$tt/by-id/10")"
t sh -c 'echo "{\"name\":\"zed2\"}" >"$1"' sh "$tt/by-id/10"
expect "rewrite it: replaced, absent columns default or NULL" '{"id":10,"name":"zed2","score":null,"data":null,"note":"dflt"}' \
	"$(t cat "$tt/by-id/10")"
t sh -c 'echo "uno" >"$1"' sh "$mnt/tables/kv/by-id/1"
expect "kv/by-id/1 written: the value replaced" "uno" "$(t cat "$mnt/tables/kv/by-id/1")"
# putrow FILE TEXT: TEXT and a newline written by an external printf (dash's
# builtins say "I/O error" whatever the errno)
putrow="env printf '%s\\n' \"\$2\" >\"\$1\""
refused "bad JSON in a row file" "$EINVAL" sh -c "$putrow" sh "$tt/by-id/10" '{name:1}'
refused "wrong type in a row file" "$EINVAL" sh -c "$putrow" sh "$tt/by-id/10" '{"name":"x","score":"high"}'
refused "NULL into not null" "$EINVAL" sh -c "$putrow" sh "$tt/by-id/11" '{"score":1}'
expect "failed writes changed nothing" '{"id":10,"name":"zed2","score":null,"data":null,"note":"dflt"}' \
	"$(t cat "$tt/by-id/10")"
refused "by-id/11 was not created" "$ENOENT" cat "$tt/by-id/11"
refused "a key in the object that is not the name" "$EINVAL" sh -c "$putrow" sh "$tt/by-id/10" '{"id":12,"name":"x"}'
if t rm "$tt/by-id/10"; then ok "rm tables/t/by-id/10"; else not_ok "rm tables/t/by-id/10"; fi
refused "rm it again" "$ENOENT" rm "$tt/by-id/10"
refused "cat the removed row" "$ENOENT" cat "$tt/by-id/10"

# ---- range/, first/, last/ ----
expect "range/-10..1" "-5 1" "$(t cut -f1 "$tt/range/-10..1" | tr '\n' ' ' | sed 's/ $//')"
expect "range/1-3" "1 2 3" "$(t cut -f1 "$tt/range/1-3" | tr '\n' ' ' | sed 's/ $//')"
expect "first/2" "-5 1" "$(t cut -f1 "$tt/first/2" | tr '\n' ' ' | sed 's/ $//')"
expect "last/2" "2 3" "$(t cut -f1 "$tt/last/2" | tr '\n' ' ' | sed 's/ $//')"
refused "range/3..1 (start after end)" "$ENOENT" cat "$tt/range/3..1"
refused "range/-1-3 (a dash range of negative keys)" "$ENOENT" cat "$tt/range/-1-3"
refused "by-id/-0 (not canonical)" "$ENOENT" cat "$tt/by-id/-0"
refused "by-id/007 (not canonical)" "$ENOENT" cat "$tt/by-id/007"

# ---- import ----
run "create table imp (id integer primary key, name text, n integer)"
printf 'id,name,n\n1,a,10\n2,"b,c",\n3,"multi\nline",30\n' >"$work/in.csv"
if t cp "$work/in.csv" "$mnt/tables/imp/import"; then ok "cp CSV with a header to import"; else not_ok "cp CSV to import" "$(cat "$work/err")"; fi
printf '1	a	10\n2	b,c	\\N\n3	multi\\nline	30\n' >"$work/exp"
t cat "$mnt/tables/imp/rows" >"$work/out"
check "imported CSV rows (quoted comma, NULL, quoted newline)" "$work/exp" "$work/out"
printf '4,d,40\n5,e,50\n' | t sh -c 'cat >"$1"' sh "$mnt/tables/imp/import"
expect "CSV without a header" "5" "$(t cat "$mnt/tables/imp/rows" | wc -l)"
printf '{"id":6,"name":"f"}\n{"n":70,"id":7}\n' | t sh -c 'cat >"$1"' sh "$mnt/tables/imp/import"
expect "NDJSON import, absent columns NULL" "6	f	\\N|7	\\N	70" \
	"$(t grep -E '^(6|7)	' "$mnt/tables/imp/rows" | tr '\n' '|' | sed 's/|$//')"
printf '8,h,80\n9,i,90\n5,dup,0\n10,j,100\n' >"$work/bad.csv"
refused "a duplicate key mid-file" "$EEXIST" sh -c 'cat "$1" >"$2"' sh "$work/bad.csv" "$mnt/tables/imp/import"
expect "the lines before it were inserted, none after" "8 9" \
	"$(t cut -f1 "$mnt/tables/imp/rows" | grep -E '^(8|9|10)$' | tr '\n' ' ' | sed 's/ $//')"
printf '11,k,not-a-number\n' >"$work/bad2.csv"
refused "a wrong type" "$EINVAL" sh -c 'cat "$1" >"$2"' sh "$work/bad2.csv" "$mnt/tables/imp/import"
# the error text names the line: read it back from a read-write handle
out=$(t python3 - "$mnt/tables/imp/import" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    os.write(fd, b"12,l,1\n13,m,2\n12,dup,3\n")
except OSError as e:
    pass
try:
    os.write(fd, b"12,dup,3\n")
except OSError as e:
    print(e.errno)
print(os.read(fd, 4096).decode().strip())
os.close(fd)
EOF
)
expect "import error text names the line" "$(printf '17\nline 3: Error: duplicate key 12.')" "$out"

# ---- errno ----
refused "tables/nosuch/rows" "$ENOENT" cat "$mnt/tables/nosuch/rows"
refused "ls tables/nosuch" "$ENOENT" ls "$mnt/tables/nosuch"
refused "tables/T (upper case) is not a name" "$ENOENT" ls "$mnt/tables/T"
refused "write tables/t/rows" "$EACCES" sh -c 'echo x >"$1"' sh "$tt/rows"
refused "read tables/t/import" "$EACCES" cat "$tt/import"
refused "mkdir in tables/" "Operation not permitted" mkdir "$mnt/tables/new"

# ---- a dropped table leaves tables/ ----
run "drop table kv"
expect "drop table: gone from tables/" "users t imp" \
	"$(t ls -f "$mnt/tables" | grep -v '^\.' | tr '\n' ' ' | sed 's/ $//')"
refused "tables/kv after the drop" "$ENOENT" cat "$mnt/tables/kv/rows"

# ---- python parses every rendering ----
if t python3 - "$tt" >"$work/py" 2>&1 <<'EOF'; then
import csv, io, json, sys
d = sys.argv[1]
def unescape(f):
    if f == "\\N":
        return None
    out, i = [], 0
    while i < len(f):
        if f[i] == "\\":
            out.append({"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}.get(f[i + 1], "\\" + f[i + 1]))
            i += 2
        else:
            out.append(f[i])
            i += 1
    return "".join(out)
rows = [[unescape(f) for f in l.split("\t")] for l in open(d + "/rows", encoding="utf-8").read().split("\n") if l]
recs = list(csv.reader(open(d + "/rows.csv", encoding="utf-8", newline="")))
assert recs[0] == ["id", "name", "score", "data", "note"], recs[0]
assert len(recs) - 1 == len(rows), (len(recs), len(rows))
objs = [json.loads(l) for l in open(d + "/rows.ndjson", encoding="utf-8")]
assert len(objs) == len(rows)
for r, c, o in zip(rows, recs[1:], objs):
    assert int(r[0]) == int(c[0]) == o["id"], (r, c, o)
    assert r[1] == c[1] == o["name"], (r, c, o)
    if r[4] is None:
        assert c[4] == "" and o["note"] is None
    else:
        assert r[4] == c[4] == o["note"], (r, c, o)
print("ok")
EOF
	ok "python3: rows, rows.csv and rows.ndjson agree"
else
	not_ok "python3: rows, rows.csv and rows.ndjson agree" "$(cat "$work/py")"
fi

# ---- dump, replayed into a new database, dumps the same ----
t cat "$mnt/dump" >"$work/dump1"
umount_rowfs || not_ok "unmount"
rm -f "$db" "$db-wal"
mount_rowfs || { not_ok "mount a new database"; done_testing; }
if t sh -c 'cat "$1" >"$2"' sh "$work/dump1" "$ctl"; then ok "dump replayed into ctl"; else not_ok "dump replayed into ctl"; fi
t cat "$mnt/dump" >"$work/dump2"
check "the replayed database dumps byte for byte the same" "$work/dump1" "$work/dump2"
t cat "$tt/rows" >"$work/out"
if [ -s "$work/out" ]; then ok "tables/t/rows after the replay"; else not_ok "tables/t/rows after the replay"; fi
umount_rowfs || not_ok "unmount"
done_testing
