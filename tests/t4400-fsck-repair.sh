#!/bin/sh
# t4400-fsck-repair.sh - fsck.rowfs -p / -y on damaged copies of a version-2
# database (users, a table with long texts in overflow chains, commits in
# the WAL): bytes flipped in leaves, a leaf zeroed, the file truncated, the
# header broken.  Each time -y exits 1, then -n exits 0 and the repaired
# file holds exactly the rows --salvage read before the repair, with no
# WAL and no leftover.  -p repairs what loses nothing, refuses (exit 4,
# nothing changed) what would, and on a clean file exits 0 without a
# write.  fsck.rowfs is killed with SIGKILL at chosen and random moments
# of a repair: the files are then the old ones byte for byte, the new
# database complete, or the marker that every opener refuses and the next
# -y finishes; states of an interrupted swap are also built by hand.  The
# -C progress protocol, fsck -t fuse.rowfs through the fsck.fuse.rowfs
# link, and a database in use (by rowsh; mounted: the message names
# MNT/check) are covered.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

KILLWHEN=$top_builddir/tests/killwhen
MARKER="fsck.rowfs: this database is being replaced by a rebuilt copy."
if [ ! -x "$ROWSH" ] || [ ! -x "$FSCK" ]; then
	skip_all "rowsh or fsck.rowfs not built"
fi
command -v python3 >/dev/null 2>&1 || skip_all "python3 not found"

# dump FILE: what --salvage reads of FILE (exit 0 required), on stdout.
dump() {
	t "$FSCK" --salvage "$1" 2>/dev/null
}
# sums FILE: the checksum of FILE and its WAL.
sums() {
	cat "$1" "$1-wal" 2>/dev/null | cksum
}
# leftovers FILE: the files a repair of FILE may leave, if any.
leftovers() {
	for f in "$1".fsck-*; do
		[ -e "$f" ] && printf '%s ' "${f##*/}"
	done
}

# --- the database -------------------------------------------------------------
# base.db: 300 users rows (ids 3, 6, ...), a table t of 120 rows, 8 of them
# with 6000-byte texts (overflow chains); rowsh checkpoints at its exit.
{
	awk 'BEGIN { for (i = 1; i <= 300; i++) printf "insert %d user%d\n", i * 3, i }'
	echo "create table t (id integer primary key, name text not null, score real, data blob)"
	awk 'BEGIN {
		for (i = 1; i <= 120; i++) {
			v = "v" i
			if (i % 15 == 0) { v = ""; for (j = 0; j < 600; j++) v = v "0123456789" }
			printf "insert into t values (%d, '\''%s'\'', %d.5, x'\''%02x'\'')\n", i, v, i, i % 256
		}
	}'
} | rsh "$work/base.db" >"$work/base.out" 2>&1
expect "the base database is made" 0 "$(grep -c -v '^Executed\.$' "$work/base.out")"
t "$FSCK" "$work/base.db" >"$work/out" 2>&1
expect "the base database is clean" 0 $?

# with_wal SRC DEST: DEST + DEST-wal are SRC with commits in the WAL only
# (rowsh still running when the files are copied), as a crash leaves them.
with_wal() {
	rm -f "$work/live.db" "$work/live.db-wal" "$work/fifo"
	cp "$1" "$work/live.db"
	mkfifo "$work/fifo"
	rsh "$work/live.db" <"$work/fifo" >"$work/live.out" 2>&1 &
	live_pid=$!
	exec 3>"$work/fifo"
	{
		awk 'BEGIN { for (i = 1; i <= 50; i++) printf "insert %d wal%d\n", 2000 + i, i }'
		echo "update 3 renamed"
		echo "delete 6"
		echo "insert into t values (500, 'from the wal', null, null)"
	} >&3
	i=0
	while [ "$(grep -c -x 'Executed\.' "$work/live.out")" -lt 53 ] && [ $i -lt 200 ]; do
		sleep_a_bit
		i=$((i + 1))
	done
	cp "$work/live.db" "$2"
	cp "$work/live.db-wal" "$2-wal"
	exec 3>&-
	wait "$live_pid"
}
with_wal "$work/base.db" "$work/wal.db"
if [ "$(wc -c <"$work/wal.db-wal")" -gt 32 ]; then
	ok "a copy with commits in its WAL"
else
	not_ok "a copy with commits in its WAL" "$(tail -5 "$work/live.out")"
fi

# damage.py FILE OP [ARG]: damage FILE in place; prints what it did.
#   zero-leaf N        zero the Nth users leaf page (file order, from 0)
#   flip-leaf N        write 0xff over names of cells 5..9 of the Nth users leaf
#   flip-table-leaf N  flip the last 40 bytes of the Nth table leaf (its first cell)
#   sibling N          set the next-leaf pointer of the Nth users leaf to 0
#   truncate BYTES     cut BYTES off the end
#   header             flip a byte of the header's change counter
cat >"$work/damage.py" <<'EOF'
import os, sys
path, op = sys.argv[1], sys.argv[2]
arg = int(sys.argv[3]) if len(sys.argv) > 3 else 0
PAGE = 4096
data = bytearray(open(path, "rb").read())
def pages(kind):
    return [p for p in range(1, len(data) // PAGE) if data[p * PAGE] == kind]
if op == "zero-leaf":
    p = pages(2)[arg]
    data[p * PAGE:(p + 1) * PAGE] = bytes(PAGE)
elif op == "flip-leaf":
    p = pages(2)[arg]
    for c in range(5, 10):
        off = p * PAGE + 14 + c * 40 + 8
        data[off:off + 4] = b"\xff" * 4
elif op == "flip-table-leaf":
    p = pages(4)[arg]
    for off in range(p * PAGE + PAGE - 40, p * PAGE + PAGE):
        data[off] ^= 0x5a
elif op == "sibling":
    p = pages(2)[arg]
    data[p * PAGE + 10:p * PAGE + 14] = bytes(4)
elif op == "truncate":
    del data[len(data) - arg:]
elif op == "header":
    data[41] ^= 0x10
else:
    sys.exit("unknown op " + op)
open(path, "wb").write(data)
print("%s %s page %s" % (op, arg, p if op not in ("truncate", "header") else "-"))
EOF

# damaged NAME SRC OP [ARG]: $work/NAME.db (and its WAL) = SRC's, damaged.
damaged() {
	rm -f "$work/$1.db" "$work/$1.db-wal" "$work/$1.db".fsck-*
	cp "$2" "$work/$1.db"
	[ -e "$2-wal" ] && cp "$2-wal" "$work/$1.db-wal"
	python3 "$work/damage.py" "$work/$1.db" "$3" ${4:+"$4"} >/dev/null
}

# repaired NAME: -y repairs $work/NAME.db: exit 1, "repaired"; then -n
# exits 0, --salvage reads exactly what it read before, no WAL, no
# leftover, and rowsh writes to it.
repaired() {
	f=$work/$1.db
	t "$FSCK" -n "$f" >"$work/n.out" 2>&1
	st=$?
	if [ $st -ne 4 ]; then
		not_ok "$1: -n finds the damage (exit 4)" "exit $st" "$(head -5 "$work/n.out")"
		return
	fi
	dump "$f" >"$work/$1.before" || { not_ok "$1: --salvage before"; return; }
	rows=$(grep -c '^insert ' "$work/$1.before")
	t "$FSCK" -y "$f" >"$work/y.out" 2>"$work/y.err"
	st=$?
	if [ $st -eq 1 ] && grep -q "^$f: repaired: " "$work/y.out" &&
		grep -q "^$f: rebuilt from every readable row: $rows rows" "$work/y.out"; then
		ok "$1: -y exits 1, $rows rows rebuilt"
	else
		not_ok "$1: -y exits 1, $rows rows rebuilt" "exit $st" "$(cat "$work/y.out" "$work/y.err")"
	fi
	t "$FSCK" -n "$f" >"$work/n.out" 2>&1
	expect "$1: then -n exits 0" "0" "$?"
	dump "$f" >"$work/$1.after"
	check "$1: every row --salvage read before is there" "$work/$1.before" "$work/$1.after"
	expect "$1: no WAL, no leftover" "" "$(leftovers "$f")$([ -e "$f-wal" ] && echo wal)"
	printf 'insert 99999 after\nselect\n' | rsh "$f" >"$work/w.out" 2>&1
	if grep -q '^(99999, after)$' "$work/w.out"; then
		ok "$1: rowsh writes to the repaired database"
	else
		not_ok "$1: rowsh writes to the repaired database" "$(tail -3 "$work/w.out")"
	fi
}

# --- -y on damage of each kind --------------------------------------------------
damaged zeroleaf "$work/base.db" zero-leaf 1
repaired zeroleaf
grep -q "not readable: 1 damaged page, " "$work/y.out"
expect "zeroleaf: the lost page is reported" 0 $?

damaged flipleaf "$work/base.db" flip-leaf 0
repaired flipleaf
grep -q "not readable: 0 damaged pages, 5 bad cells, " "$work/y.out"
expect "flipleaf: the 5 bad cells are reported" 0 $?

damaged tableleaf "$work/base.db" flip-table-leaf 0
repaired tableleaf

damaged truncated "$work/base.db" truncate 2500
repaired truncated

damaged header "$work/base.db" header
repaired header
if grep -q "the header was damaged" "$work/y.out" && ! grep -q '^create table' "$work/header.after"; then
	ok "header: reported; the table (reached from no valid header) is lost, users kept"
else
	not_ok "header: reported; the table is lost, users kept" "$(cat "$work/y.out")"
fi

damaged walleaf "$work/wal.db" zero-leaf 0
repaired walleaf
if grep -q '^insert 2050 wal50$' "$work/walleaf.after" &&
	grep -q '^insert 3 renamed$' "$work/walleaf.after" &&
	grep -q "^insert into t values (500, 'from the wal'" "$work/walleaf.after"; then
	ok "walleaf: the commits of the WAL are in the repaired database"
else
	not_ok "walleaf: the commits of the WAL are in the repaired database"
fi

# Symbolic link: its target is repaired, the link stays a link.
damaged linked "$work/base.db" zero-leaf 0
mkdir "$work/links"
ln -s "$work/linked.db" "$work/links/l.db"
t "$FSCK" -y "$work/links/l.db" >"$work/out" 2>&1
st=$?
if [ $st -eq 1 ] && [ -L "$work/links/l.db" ] && t "$FSCK" "$work/linked.db" >/dev/null 2>&1; then
	ok "a symbolic link to DBFILE: the target is repaired, the link kept"
else
	not_ok "a symbolic link to DBFILE: the target is repaired" "exit $st" "$(cat "$work/out")"
fi

# --- -p (preen) -----------------------------------------------------------------
cp "$work/base.db" "$work/clean.db"
touch -d '2001-02-03 04:05:06' "$work/clean.db"
# shellcheck disable=SC2012 # ls for the time stamp and the number of names
before="$(sums "$work/clean.db") $(ls -l --time-style=full-iso "$work/clean.db") $(ls "$work" | wc -l)"
t "$FSCK" -p "$work/clean.db" >"$work/out" 2>&1
st=$?
# shellcheck disable=SC2012 # as above
after="$(sums "$work/clean.db") $(ls -l --time-style=full-iso "$work/clean.db") $(ls "$work" | wc -l)"
if [ $st -eq 0 ] && [ "$before" = "$after" ] && [ ! -e "$work/clean.db-wal" ]; then
	ok "-p on a clean database: exit 0, bytes, mtime and directory unchanged"
else
	not_ok "-p on a clean database: exit 0, nothing changed" "exit $st" "$before" "$after" \
		"$(cat "$work/out")"
fi
t "$FSCK" -a -f "$work/clean.db" >/dev/null 2>&1
expect "-a -f on a clean database: exit 0" 0 $?

damaged sibling "$work/base.db" sibling 0
t "$FSCK" -n "$work/sibling.db" >/dev/null 2>&1
expect "a broken next-leaf pointer: -n exit 4" 4 $?
dump "$work/sibling.db" >"$work/sibling.before"
t "$FSCK" -p "$work/sibling.db" >"$work/out" 2>&1
expect "a broken next-leaf pointer loses nothing: -p repairs it (exit 1)" 1 $?
t "$FSCK" -n "$work/sibling.db" >/dev/null 2>&1
expect "a broken next-leaf pointer: then -n exit 0" 0 $?
dump "$work/sibling.db" >"$work/sibling.after"
check "a broken next-leaf pointer: every row kept" "$work/sibling.before" "$work/sibling.after"

damaged preen "$work/base.db" zero-leaf 1
sum=$(sums "$work/preen.db")
t "$FSCK" -p "$work/preen.db" >"$work/out" 2>&1
st=$?
if [ $st -eq 4 ] && grep -q "UNEXPECTED INCONSISTENCY.*run fsck.rowfs -y" "$work/out" &&
	[ "$(sums "$work/preen.db")" = "$sum" ] && [ -z "$(leftovers "$work/preen.db")" ]; then
	ok "-p on a zeroed leaf (rows lost): exit 4, nothing changed, no leftover"
else
	not_ok "-p on a zeroed leaf: exit 4, nothing changed" "exit $st" "$(cat "$work/out")" \
		"$(leftovers "$work/preen.db")"
fi

# --- what is not repaired, usage ---------------------------------------------------
awk 'BEGIN { srand(3); for (i = 0; i < 9000; i++) printf "%c", 32 + int(rand() * 90) }' \
	>"$work/garbage.db"
sum=$(sums "$work/garbage.db")
t "$FSCK" -y "$work/garbage.db" >"$work/out" 2>&1
st=$?
if [ $st -eq 4 ] && grep -q "nothing of a rowfs database could be read: not repaired" \
	"$work/out" && [ "$(sums "$work/garbage.db")" = "$sum" ]; then
	ok "-y on a file that is not a database: exit 4, unchanged"
else
	not_ok "-y on a file that is not a database: exit 4, unchanged" "exit $st" "$(cat "$work/out")"
fi
bad=""
for args in "-n -y" "-p -y" "-a -n" "--salvage -y"; do
	# shellcheck disable=SC2086 # word splitting of args is intended
	t "$FSCK" $args "$work/clean.db" >/dev/null 2>"$work/err"
	st=$?
	[ $st -eq 8 ] && [ -s "$work/err" ] || bad="$bad [$args: exit $st]"
done
t "$FSCK" -n -n -f "$work/clean.db" >/dev/null 2>&1 || bad="$bad [-n -n -f]"
t "$FSCK" -C >/dev/null 2>&1
[ $? -eq 8 ] || bad="$bad [-C without anything]"
t "$FSCK" --help | grep -q -e '-y  *repair' || bad="$bad [--help]"
expect "conflicting modes and -C alone exit 8; -n -n -f is fine; --help lists -y" "" "$bad"

# --- -C: progress --------------------------------------------------------------------
damaged progress "$work/base.db" zero-leaf 1
t "$FSCK" -y -C 3 "$work/progress.db" 3>"$work/progress" >/dev/null 2>&1
st=$?
f=$work/progress.db
if [ $st -eq 1 ] && ! grep -v -q "^[1-5] [0-9][0-9]* [0-9][0-9]* $f\$" "$work/progress" &&
	[ "$(cut -d' ' -f1 "$work/progress" | uniq | tr -d '\n')" = 12345 ] &&
	[ "$(awk '$2 > $3' "$work/progress")" = "" ] &&
	[ "$(awk '$1 == 3 { l = $2 " " $3 } END { split(l, a, " "); print (a[1] == a[2] && a[1] > 0) }' \
		"$work/progress")" = 1 ]; then
	ok "-C FD: 'PASS CUR MAX DBFILE' lines, passes 1 to 5, the rebuild up to its max"
else
	not_ok "-C FD: the progress lines" "exit $st" "$(head -20 "$work/progress")"
fi
damaged progress "$work/base.db" zero-leaf 1
t "$FSCK" -y -C0 "$work/progress.db" >"$work/out" 2>&1
if grep -q "$f: rebuild |=*| 100%" "$work/out"; then
	ok "-C0: a bar on standard output"
else
	not_ok "-C0: a bar on standard output" "$(cat "$work/out")"
fi
t "$FSCK" -C "$work/clean.db" >"$work/out" 2>&1
expect "-C without FD before DBFILE: a bar, exit 0" "0 1" "$? $(grep -c 'check *|=*| 100%' "$work/out")"

# --- fsck -t fuse.rowfs ------------------------------------------------------------
mkdir "$work/sbin"
ln -s "$(cd "$(dirname "$FSCK")" && pwd)/fsck.rowfs" "$work/sbin/fsck.fuse.rowfs"
damaged viafsck "$work/base.db" zero-leaf 1
PATH="$work/sbin:$PATH" t fsck.fuse.rowfs -n "$work/viafsck.db" >"$work/out" 2>&1
expect "fsck.fuse.rowfs -n (the link's name): exit 4" 4 $?
if command -v fsck >/dev/null 2>&1 && fsck --version 2>/dev/null | grep -q util-linux; then
	# fsck(8) takes a device only as an absolute path; it looks for
	# fsck.TYPE in /sbin and the like, then in PATH.
	PATH="$work/sbin:$PATH" t fsck -t fuse.rowfs -n "$work/viafsck.db" >"$work/out" 2>&1
	st=$?
	if [ $st -eq 4 ] && grep -q "^$work/viafsck.db: [0-9]* problems* found" "$work/out"; then
		ok "fsck -t fuse.rowfs -n DBFILE: exit 4, the report"
	else
		not_ok "fsck -t fuse.rowfs -n DBFILE: exit 4" "exit $st" "$(cat "$work/out")"
	fi
	PATH="$work/sbin:$PATH" t fsck -t fuse.rowfs -a "$work/viafsck.db" >/dev/null 2>&1
	expect "fsck -t fuse.rowfs -a DBFILE (lossy): exit 4" 4 $?
	PATH="$work/sbin:$PATH" t fsck -t fuse.rowfs -y "$work/viafsck.db" >/dev/null 2>&1
	expect "fsck -t fuse.rowfs -y DBFILE: exit 1" 1 $?
	printf '%s %s fuse.rowfs noauto 0 2\n' "$work/viafsck.db" "$work/mnt" >"$work/fstab"
	FSTAB_FILE=$work/fstab PATH="$work/sbin:$PATH" t fsck -A -a >"$work/out" 2>&1
	st=$?
	if [ $st -eq 0 ] && grep -q "^$work/viafsck.db: clean" "$work/out"; then
		ok "fsck -A -a runs it for an fstab line with pass 2"
	else
		not_ok "fsck -A -a runs it for an fstab line with pass 2" "exit $st" "$(cat "$work/out")"
	fi
else
	skip "fsck -t fuse.rowfs: util-linux fsck(8) not found"
	skip "fsck -t fuse.rowfs -a: util-linux fsck(8) not found"
	skip "fsck -t fuse.rowfs -y: util-linux fsck(8) not found"
	skip "fsck -A: util-linux fsck(8) not found"
fi

# --- an interrupted swap, built by hand ------------------------------------------------
# Step 4 done (the marker is DBFILE, the old file is DBFILE.fsck-old, the
# WAL not moved yet), DBFILE.fsck-new complete: every opener refuses the
# marker; -n says so; -y finishes the swap.
damaged swap "$work/wal.db" zero-leaf 0
dump "$work/swap.db" >"$work/swap.exp"
rsh "$work/swap.db.fsck-new" <"$work/swap.exp" >/dev/null 2>&1
rm -f "$work/swap.db.fsck-new-wal"
mv "$work/swap.db" "$work/swap.db.fsck-old"
printf '%s\nIf you read this, the repair was interrupted.\n' "$MARKER" >"$work/swap.db"
printf 'select\n' | rsh "$work/swap.db" >"$work/out" 2>&1
st=$?
if [ $st -ne 0 ] && grep -q "not a rowfs database" "$work/out"; then
	ok "interrupted swap: rowsh refuses the marker"
else
	not_ok "interrupted swap: rowsh refuses the marker" "exit $st" "$(cat "$work/out")"
fi
t "$FSCK" -n "$work/swap.db" >"$work/out" 2>&1
st=$?
if [ $st -eq 4 ] && grep -q "a repair was interrupted.*run fsck.rowfs -y" "$work/out"; then
	ok "interrupted swap: -n exit 4, says how to finish"
else
	not_ok "interrupted swap: -n exit 4" "exit $st" "$(cat "$work/out")"
fi
t "$FSCK" -y "$work/swap.db" >"$work/out" 2>&1
st=$?
dump "$work/swap.db" >"$work/swap.got"
if [ $st -eq 1 ] && grep -q "finishing an interrupted repair" "$work/out" &&
	cmp -s "$work/swap.exp" "$work/swap.got" && [ ! -e "$work/swap.db-wal" ] &&
	[ -z "$(leftovers "$work/swap.db")" ]; then
	ok "interrupted swap: -y finishes it (exit 1): the rebuilt rows, no WAL, no leftover"
else
	not_ok "interrupted swap: -y finishes it" "exit $st" "$(cat "$work/out")" \
		"$(leftovers "$work/swap.db")"
fi
# The same after step 5 without DBFILE.fsck-new: -y puts the old files back
# and repairs them.
damaged undo "$work/wal.db" zero-leaf 0
dump "$work/undo.db" >"$work/undo.exp"
mv "$work/undo.db" "$work/undo.db.fsck-old"
mv "$work/undo.db-wal" "$work/undo.db.fsck-old-wal"
printf '%s\n' "$MARKER" >"$work/undo.db"
t "$FSCK" -y "$work/undo.db" >"$work/out" 2>&1
st=$?
dump "$work/undo.db" >"$work/undo.got"
if [ $st -eq 1 ] && grep -q "undoing an interrupted repair" "$work/out" &&
	cmp -s "$work/undo.exp" "$work/undo.got" && [ -z "$(leftovers "$work/undo.db")" ]; then
	ok "interrupted swap without the rebuilt file: -y undoes it, then repairs (exit 1)"
else
	not_ok "interrupted swap without the rebuilt file: -y undoes it" "exit $st" \
		"$(cat "$work/out")"
fi

# --- SIGKILL during a repair -------------------------------------------------------------
if [ ! -x "$KILLWHEN" ]; then
	not_ok "tests/killwhen is built (make check builds it)"
	done_testing
fi
# big.db: 20000 users rows more, the table, commits in the WAL; a leaf zeroed.
cp "$work/base.db" "$work/bigsrc.db"
awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "insert %d big%d\n", 100000 + i, i }' |
	rsh "$work/bigsrc.db" >/dev/null 2>&1
with_wal "$work/bigsrc.db" "$work/big0.db"
python3 "$work/damage.py" "$work/big0.db" zero-leaf 7 >/dev/null
dump "$work/big0.db" >"$work/big.exp"
sum0=$(sums "$work/big0.db")
hits=""
states=""
kills=0
seed=${ROWFS_KILL_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# kill seed $seed (ROWFS_KILL_SEED replays it)"
round=0
while [ $round -lt 20 ]; do
	round=$((round + 1))
	f=$work/big.db
	rm -f "$f" "$f-wal" "$f".fsck-*
	cp "$work/big0.db" "$f"
	cp "$work/big0.db-wal" "$f-wal"
	"$FSCK" -y "$f" >/dev/null 2>&1 &
	pid=$!
	case $((round % 5)) in
	0) how="the rebuild begins"
	   hit=$("$KILLWHEN" "$pid" 5000 size-gt "$f.fsck-new" 0 2>&1) ;;
	1) how="the rebuild has committed rows"
	   hit=$("$KILLWHEN" "$pid" 5000 size-gt "$f.fsck-new-wal" 100000 2>&1) ;;
	2) how="the marker is DBFILE"
	   hit=$("$KILLWHEN" "$pid" 5000 starts "$f" "$MARKER" 2>&1) ;;
	3) how="the new database is DBFILE"
	   hit=$("$KILLWHEN" "$pid" 5000 starts "$f" "$MARKER" starts "$f" "rowfs format" 2>&1) ;;
	*) ms=$(( (seed + round * 7919) % 120 ))
	   how="after ${ms} ms"
	   sleep "0.$(printf '%03d' "$ms")"
	   kill -9 "$pid" 2>/dev/null
	   hit="sleep" ;;
	esac
	wait "$pid" 2>/dev/null
	[ "$?" -eq 137 ] && kills=$((kills + 1))
	hits="$hits ${hit%% *}"
	# The state the kill left.
	if [ "$(sums "$f")" = "$sum0" ]; then
		state=old
	elif [ "$(head -c ${#MARKER} "$f")" = "$MARKER" ]; then
		state=marker
		printf 'select\n' | rsh "$f" >"$work/out" 2>&1
		st=$?
		t "$FSCK" -n "$f" >>"$work/out" 2>&1
		nst=$?
		if [ $st -eq 0 ] || [ $nst -ne 4 ]; then
			not_ok "killed when $how: the marker is refused" "$(cat "$work/out")"
		fi
	elif t "$FSCK" -n "$f" >/dev/null 2>&1 && dump "$f" | cmp -s - "$work/big.exp" &&
		[ ! -e "$f-wal" ]; then
		state=new
	else
		state=broken
		not_ok "killed when $how: old files, marker or the complete new database" \
			"$(ls -l "$f" "$f-wal" "$f".fsck-* 2>&1)"
	fi
	states="$states $state"
	t "$FSCK" -y "$f" >"$work/out" 2>&1
	st=$?
	if { [ $st -eq 1 ] || { [ $st -eq 0 ] && [ $state = new ]; }; } &&
		t "$FSCK" -n "$f" >/dev/null 2>&1 && dump "$f" | cmp -s - "$work/big.exp" &&
		[ -z "$(leftovers "$f")" ] && [ ! -e "$f-wal" ]; then
		:
	else
		not_ok "killed when $how ($state): -y then gives the rebuilt database" "exit $st" \
			"$(cat "$work/out")" "$(leftovers "$f")"
	fi
done
echo "# killwhen:$hits"
echo "# states after the kill:$states ($kills killed)"
case "$states" in
*old*new* | *new*old*) ok "20 repairs killed: each left the old files, the marker or the new database" ;;
*) not_ok "20 repairs killed: both the old and the new states were met" "$states" ;;
esac

# --- in use ---------------------------------------------------------------------------------
cp "$work/base.db" "$work/held.db"
mkfifo "$work/fifo2"
rsh "$work/held.db" <"$work/fifo2" >"$work/held.out" 2>&1 &
held_pid=$!
exec 4>"$work/fifo2"
printf 'insert 1 held\n' >&4
i=0
while ! grep -q '^Executed\.$' "$work/held.out" && [ $i -lt 100 ]; do
	sleep_a_bit
	i=$((i + 1))
done
sum=$(sums "$work/held.db")
t "$FSCK" -y "$work/held.db" >"$work/out" 2>"$work/err"
st=$?
if [ $st -eq 8 ] && grep -q "database is locked" "$work/err" &&
	[ "$(sums "$work/held.db")" = "$sum" ] && [ -z "$(leftovers "$work/held.db")" ]; then
	ok "-y on a database rowsh holds: exit 8, database is locked, nothing changed"
else
	not_ok "-y on a database rowsh holds: exit 8" "exit $st" "$(cat "$work/err")"
fi
exec 4>&-
wait "$held_pid"

if [ -c /dev/fuse ] && command -v fusermount3 >/dev/null 2>&1 && [ -x "$ROWFS" ] &&
	cp "$work/base.db" "$db" && mount_rowfs; then
	for mode in -n -y; do
		t "$FSCK" $mode "$db" >"$work/out" 2>"$work/err"
		st=$?
		if [ $st -eq 8 ] && grep -q "database is locked" "$work/err" &&
			grep -q "^fsck.rowfs: $db is mounted on $mnt: read $mnt/check for a check of the live database\$" \
				"$work/err"; then
			ok "fsck.rowfs $mode on a mounted database: exit 8, names $mnt/check"
		else
			not_ok "fsck.rowfs $mode on a mounted database: names MNT/check" "exit $st" \
				"$(cat "$work/err")"
		fi
	done
	expect "MNT/check of the live database" "ok" "$(t cat "$mnt/check")"
	umount_rowfs
	expect "unmounted" 0 $?
elif [ "${ROWFS_REQUIRE_FUSE:-0}" = 1 ]; then
	not_ok "a mounted database (FUSE required but unusable)"
else
	skip "fsck.rowfs on a mounted database: FUSE unusable here"
fi

done_testing
