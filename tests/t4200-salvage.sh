#!/bin/sh
# t4200-salvage.sh - fsck.rowfs --salvage on damaged copies of a database.
#
# A database of 300 rows (a root over three leaves) is made with rowsh;
# copies are damaged with dd (the root zeroed, a leaf overwritten, the
# header checksum broken, the file truncated) and salvaged.  Each time:
# exit 0, a dump in the shared format (begin, `insert ID NAME` lines in
# ascending id order, commit) holding exactly the rows of the undamaged
# leaves, the files unchanged.  The dump replays through rowsh into a
# clean database.  Commits that live only in the WAL (rowsh still running)
# are included; a database in use, bad options and a dump aimed at the
# database itself are refused with exit 8.  No FUSE needed.  TAP.

# shellcheck source=tests/tap.sh
. "${top_srcdir:-.}/tests/tap.sh"

db=$work/t.db
awk 'BEGIN { for (i = 1; i <= 300; i++) printf "insert %d user%d\n", i * 3, i }' |
	rsh "$db" >/dev/null
printf 'insert 5000 \303\251t\303\251\n' | rsh "$db" >/dev/null
printf '.btree\n' | rsh "$db" >"$work/btree"
root=$(sed -n '1s/^internal (page \([0-9]*\)).*/\1/p' "$work/btree")
# leaf N's page and key range: "page lo hi" lines, in key order
sed -n 's/^  leaf (page \([0-9]*\)): [0-9]* cells keys \[\([0-9]*\)\.\.\([0-9]*\)\]$/\1 \2 \3/p' \
	"$work/btree" >"$work/leaves"
echo "# root page ${root:-?}; leaves (page lo hi): $(tr '\n' ';' <"$work/leaves")"
if [ -z "$root" ] || [ "$(wc -l <"$work/leaves")" -lt 3 ]; then
	not_ok "the layout of t.db" "$(cat "$work/btree")"
	done_testing
fi

# All rows as a dump: begin, insert lines in id order, commit.
printf 'select\n' | rsh "$db" |
	sed -n 's/^(\([0-9]*\), \(.*\))$/insert \1 \2/p' >"$work/all.rows"
{ echo begin; cat "$work/all.rows"; echo commit; } >"$work/all.dump"
expect "the intact database has 301 rows" 301 "$(wc -l <"$work/all.rows" | tr -d ' ')"

# expected_without PAGE...: the dump of every row except those on the leaves
# at the given pages (by their key ranges).
expected_without() {
	ranges=""
	for p in "$@"; do
		ranges="$ranges $(awk -v p="$p" '$1 == p { print $2 "-" $3 }' "$work/leaves")"
	done
	echo begin
	awk -v ranges="$ranges" '
		BEGIN { n = split(ranges, r, " ") }
		{ for (i = 1; i <= n; i++) { split(r[i], b, "-"); if ($2 + 0 >= b[1] + 0 && $2 + 0 <= b[2] + 0) next } print }
	' "$work/all.rows"
	echo commit
}

# salvage NAME EXPECTED-FILE COPY: fsck.rowfs --salvage COPY exits 0 and
# writes exactly EXPECTED-FILE; COPY and its WAL are not modified.
salvage() {
	sum_before=$(cat "$3" "$3-wal" 2>/dev/null | cksum)
	t "$FSCK" --salvage "$3" >"$work/dump" 2>"$work/salvage.err"
	st=$?
	if [ $st -ne 0 ]; then
		not_ok "$1: exit 0" "exit $st" "$(cat "$work/salvage.err")"
	elif ! cmp -s "$2" "$work/dump"; then
		not_ok "$1: the intact rows" "$(diff "$2" "$work/dump" | head -20)" \
			"$(cat "$work/salvage.err")"
	else
		ok "$1: exit 0, the intact rows ($(($(wc -l <"$work/dump") - 2)) rows)"
	fi
	expect "$1: files unchanged" "$sum_before" "$(cat "$3" "$3-wal" 2>/dev/null | cksum)"
}

# copy: c.db is a fresh copy of t.db (no WAL: rowsh checkpointed at exit).
copy() {
	rm -f "$work/c.db" "$work/c.db-wal"
	cp "$db" "$work/c.db"
}

leaf2=$(sed -n '2s/ .*//p' "$work/leaves")
last=$(sed -n '$s/ .*//p' "$work/leaves")
pages=$(($(wc -c <"$db") / 4096))

salvage "intact" "$work/all.dump" "$db"
if grep -q "salvage: 301 rows written" "$work/salvage.err" &&
	grep -q "pages read" "$work/salvage.err"; then
	ok "intact: the counts on stderr"
else
	not_ok "intact: the counts on stderr" "$(cat "$work/salvage.err")"
fi

copy
t dd if=/dev/zero of="$work/c.db" bs=4096 seek="$root" count=1 conv=notrunc 2>/dev/null
t "$FSCK" "$work/c.db" >/dev/null 2>&1
expect "root zeroed: fsck.rowfs exit 4" 4 $?
salvage "root zeroed" "$work/all.dump" "$work/c.db"

copy
head -c 4096 /dev/zero | tr '\0' '\377' |
	t dd of="$work/c.db" bs=4096 seek="$leaf2" count=1 conv=notrunc 2>/dev/null
expected_without "$leaf2" >"$work/exp"
salvage "leaf $leaf2 overwritten with garbage" "$work/exp" "$work/c.db"

copy
printf '\001' | t dd of="$work/c.db" bs=1 seek=56 conv=notrunc 2>/dev/null
t "$FSCK" "$work/c.db" >/dev/null 2>&1
expect "header checksum broken: fsck.rowfs exit 4" 4 $?
salvage "header checksum broken" "$work/all.dump" "$work/c.db"
if grep -q "header damaged" "$work/salvage.err"; then
	ok "header checksum broken: said on stderr"
else
	not_ok "header checksum broken: said on stderr" "$(cat "$work/salvage.err")"
fi

if [ "$last" = $((pages - 1)) ]; then
	copy
	t dd if="$db" of="$work/c.db" bs=4096 count="$last" 2>/dev/null
	expected_without "$last" >"$work/exp"
	salvage "truncated before the last leaf" "$work/exp" "$work/c.db"
else
	not_ok "the last leaf is the last page" "last leaf $last, $pages pages"
fi

# Several kinds at once, then the dump replays through rowsh.
copy
t dd if=/dev/zero of="$work/c.db" bs=4096 seek="$root" count=1 conv=notrunc 2>/dev/null
t dd if=/dev/zero of="$work/c.db" bs=4096 seek="$leaf2" count=1 conv=notrunc 2>/dev/null
t dd if=/dev/zero of="$work/c.db" bs=4096 count=1 conv=notrunc 2>/dev/null
expected_without "$leaf2" >"$work/exp"
salvage "header, root and a leaf zeroed" "$work/exp" "$work/c.db"
rsh "$work/new.db" <"$work/dump" >"$work/replay.out" 2>&1
expect "the dump (begin, inserts, commit) replays through rowsh" 0 $?
printf 'select\n' | rsh "$work/new.db" | sed -n 's/^(\([0-9]*\), \(.*\))$/insert \1 \2/p' |
	{ echo begin; cat; echo commit; } >"$work/new.dump"
check "the replayed database holds the salvaged rows" "$work/exp" "$work/new.dump"
t "$FSCK" "$work/new.db" >/dev/null 2>&1
expect "the replayed database is clean" 0 $?

# -o FILE writes the same dump; never over the database or its WAL.
copy
t "$FSCK" --salvage -o "$work/out.dump" "$work/c.db" 2>/dev/null
expect "-o FILE: exit 0" 0 $?
check "-o FILE: the dump" "$work/all.dump" "$work/out.dump"
t "$FSCK" --salvage --output="$work/out2.dump" "$work/c.db" 2>/dev/null
check "--output=FILE: the dump" "$work/all.dump" "$work/out2.dump"
sum=$(cksum <"$work/c.db")
t "$FSCK" --salvage -o "$work/c.db" "$work/c.db" 2>"$work/err"
expect "-o DBFILE: exit 8" 8 $?
expect "-o DBFILE: the database unchanged" "$sum" "$(cksum <"$work/c.db")"
# shellcheck disable=SC2094 # the point: stdout appends to DBFILE
t "$FSCK" --salvage "$work/c.db" >>"$work/c.db" 2>"$work/err"
expect ">> DBFILE: exit 8" 8 $?
expect ">> DBFILE: the database unchanged" "$sum" "$(cksum <"$work/c.db")"
rm -f "$work/c.db-wal"
t "$FSCK" --salvage -o "$work/c.db-wal" "$work/c.db" 2>"$work/err"
expect "-o DBFILE-wal while no WAL exists: exit 8" 8 $?
if [ -e "$work/c.db-wal" ]; then
	not_ok "-o DBFILE-wal: no WAL created" "$(cat "$work/err")"
else
	ok "-o DBFILE-wal: no WAL created"
fi
t "$FSCK" -o "$work/x.dump" "$work/c.db" >/dev/null 2>&1
expect "-o without --salvage: exit 8" 8 $?
t "$FSCK" --salvage "$work/missing.db" >"$work/out" 2>"$work/err"
st=$?
if [ $st -eq 8 ] && [ -s "$work/err" ] && [ ! -s "$work/out" ]; then
	ok "a missing file: exit 8, a message, no dump"
else
	not_ok "a missing file: exit 8, a message, no dump" "exit $st" "$(cat "$work/err")"
fi
t "$FSCK" --help | grep -q -e '--salvage'
expect "--help mentions --salvage" 0 $?

# Commits only in the WAL: rowsh still running (its replies come after the
# commit), the files copied as a crash would leave them.
mkfifo "$work/fifo"
rsh "$work/c.db" <"$work/fifo" >"$work/live.out" 2>&1 &
live_pid=$!
exec 3>"$work/fifo"
printf 'insert 7000 late\nupdate 3 renamed\ndelete 6\n' >&3
i=0
while [ "$(grep -c -x 'Executed\.' "$work/live.out")" -lt 3 ] && [ $i -lt 100 ]; do
	sleep 0.1 2>/dev/null || sleep 1
	i=$((i + 1))
done
t "$FSCK" --salvage "$work/c.db" >"$work/out" 2>"$work/err"
st=$?
if [ $st -eq 8 ] && grep -q "database is locked" "$work/err"; then
	ok "in use: exit 8, database is locked"
else
	not_ok "in use: exit 8, database is locked" "exit $st" "$(cat "$work/err")"
fi
cp "$work/c.db" "$work/w.db"
cp "$work/c.db-wal" "$work/w.db-wal"
exec 3>&-
wait "$live_pid"
{
	echo begin
	sed -e 's/^insert 3 user1$/insert 3 renamed/' -e '/^insert 6 /d' "$work/all.rows"
	echo "insert 7000 late"   # after 5000, the highest id before
	echo commit
} >"$work/exp"
salvage "commits only in the WAL" "$work/exp" "$work/w.db"

done_testing
