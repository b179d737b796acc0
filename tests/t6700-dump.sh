#!/bin/sh
# t6700-dump.sh - the dump file and its import:
#   - the dump of an empty table is exactly "begin\ncommit\n";
#   - dump -> `cat dump.txt > ctl` of a fresh database -> rows of both are
#     byte-identical (odd names: UTF-8, digits only, 32 bytes, ids 0 and
#     4294967295);
#   - the same round trip with 1,000,000 rows;
#   - a dump taken while a writer commits transactions of 100 rows holds
#     whole transactions only (a snapshot);
#   - importing a dump into a database that has one of its keys fails
#     (EEXIST) and leaves nothing of the import;
#   - rowsh runs a dump: `rowsh new.db < dump.txt`.
# ROWFS_T6700_ROWS sets the size of the big round trip (default 1000000).
# TAP.

# shellcheck disable=SC2016,SC2317 # awk programs are single-quoted; helpers are called through fails_with
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

# cat_to FILE DEST: cat FILE > DEST (cat reports the errno of a failed write).
cat_to() { t cat "$1" >"$2"; }

require_fuse
big=${ROWFS_T6700_ROWS:-1000000}
T=${ROWFS_TEST_TIMEOUT:-120}
ctl=$mnt/ctl

# remount_on DB [OPTS...]: unmount (cleanly) and mount DB instead.
remount_on() {
	if [ -n "$daemon_pid" ] && ! umount_rowfs; then
		not_ok "clean unmount of $(basename "$db")"
	fi
	db=$1
	shift
	mount_rowfs "$@"
}

# --- empty table ---------------------------------------------------------------
remount_on "$work/a.db" || { not_ok "mount"; done_testing; }
t cat "$mnt/dump" >"$work/out"
printf 'begin\ncommit\n' >"$work/exp"
check "dump of an empty table: begin, commit" "$work/exp" "$work/out"

# --- small round trip with odd names -----------------------------------------
{
	echo "insert 0 zero"
	echo "insert 4294967295 max"
	echo "insert 7 12345"
	echo "insert 8 a.b-c_d"
	printf 'insert 9 \303\251t\303\251\n'
	printf 'insert 10 \344\270\255\346\226\207\n'
	echo "insert 11 abcdefghijklmnopqrstuvwxyz012345"
	echo "insert 12 ABC"
} >"$ctl"
echo "delete 12" >"$ctl"
echo "update 7 67890" >"$ctl"
t cat "$mnt/rows" >"$work/a.rows"
t cat "$mnt/dump" >"$work/a.dump"
{ echo begin; sed 's/^\([0-9]*\)\t/insert \1 /' "$work/a.rows"; echo commit; } >"$work/exp"
check "dump: begin, one insert per row in key order, commit" "$work/exp" "$work/a.dump"
remount_on "$work/b.db" || { not_ok "mount b.db"; done_testing; }
if t cat "$work/a.dump" >"$ctl" 2>"$work/err"; then
	ok "cat dump.txt > ctl of a fresh database"
else
	not_ok "cat dump.txt > ctl of a fresh database" "$(cat "$work/err")"
fi
t cat "$mnt/rows" >"$work/out"
check "rows after the import: byte-identical to the original's" "$work/a.rows" "$work/out"
t cat "$mnt/dump" >"$work/out"
check "and its dump is the original dump" "$work/a.dump" "$work/out"

# --- import over an existing key: all or nothing -----------------------------
remount_on "$work/c.db" || { not_ok "mount c.db"; done_testing; }
printf 'insert 5 five\ninsert 11 eleven\n' >"$ctl"
t cat "$mnt/rows" >"$work/c.rows"
fails_with "import into a database that has key 11: File exists" "File exists" \
	cat_to "$work/a.dump" "$ctl"
t cat "$mnt/rows" >"$work/out"
check "nothing of the failed import remains" "$work/c.rows" "$work/out"
t "$WRTEST" -r "$ctl" 'insert 6 six\n' >"$work/out"
printf '13\n--\nExecuted.\nclose 0\n' >"$work/exp"
check "and its transaction ended with cat's handle" "$work/exp" "$work/out"

# --- rowsh reads a dump --------------------------------------------------------
rm -f "$work/r.db"
t "$ROWSH" "$work/r.db" <"$work/a.dump" >"$work/out" 2>&1
st=$?
lines=$(($(wc -l <"$work/a.dump") + 0))
awk -v n="$lines" 'BEGIN { for (i = 0; i < n; i++) print "Executed." }' >"$work/exp"
check "rowsh new.db < dump.txt: one Executed. per line" "$work/exp" "$work/out"
expect "rowsh: exit status 0" 0 "$st"
rows_of "$work/r.db" >"$work/out"
check "rowsh's database holds the original rows" "$work/a.rows" "$work/out"

# --- a dump during writes is a snapshot ---------------------------------------
remount_on "$work/d.db" || { not_ok "mount d.db"; done_testing; }
awk 'BEGIN { for (i = 1; i <= 5000; i++) printf "insert %d base%d\n", i, i }' >"$ctl"
# the writer: transactions of 100 rows, key 1000000 + 100 k + j, until told
(
	k=0
	while [ ! -e "$work/stop" ] && [ $k -lt 2000 ]; do
		awk -v k="$k" 'BEGIN { print "begin"
			for (j = 0; j < 100; j++) printf "insert %d w%d\n", 1000000 + 100 * k + j, k
			print "commit" }' >"$ctl" || exit 1
		k=$((k + 1))
	done
) 2>"$work/writer.err" &
writer=$!
bad=0
dumps=0
while [ $dumps -lt 20 ] && alive "$writer"; do
	dumps=$((dumps + 1))
	t cat "$mnt/dump" >"$work/dump.$dumps"
	# whole transactions only: each writer key k appears 0 or 100 times,
	# the k seen form 0..m, and the dump is a well-formed script
	awk 'NR == 1 { if ($0 != "begin") bad = 1; next }
		$0 == "commit" { done = 1; next }
		done || $1 != "insert" { bad = 1 }
		$2 >= 1000000 { c[int(($2 - 1000000) / 100)]++; if (int(($2 - 1000000) / 100) > m) m = int(($2 - 1000000) / 100) }
		$2 < 1000000 { base++ }
		END { for (k in c) if (c[k] != 100) bad = 1
			for (k = 0; k < m; k++) if (!(k in c)) bad = 1
			exit bad || !done || base != 5000 }' "$work/dump.$dumps" || {
		bad=$((bad + 1))
		echo "# dump $dumps is not a snapshot: $(wc -l <"$work/dump.$dumps") lines"
	}
done
: >"$work/stop"
wait "$writer"
st=$?
expect "the writer ran throughout (status 0)" 0 "$st"
expect "$dumps dumps during the writes: each holds whole transactions only" 0 "$bad"
if [ $dumps -ge 2 ]; then
	lines_first=$(wc -l <"$work/dump.1")
	lines_last=$(wc -l <"$work/dump.$dumps")
	echo "# first dump $lines_first lines, last $lines_last"
fi

# --- the big round trip --------------------------------------------------------
remount_on "$work/big1.db" || { not_ok "mount big1.db"; done_testing; }
start=$(date +%s)
awk -v n="$big" 'BEGIN { srand(7); for (i = 1; i <= n; i++) printf "insert %d u%d_%d\n", i * 3, i, int(rand() * 1000000) }' >"$ctl"
t cat "$mnt/rows" >"$work/big1.rows"
expect "$big rows loaded" "$big" "$(wc -l <"$work/big1.rows" | tr -d ' ')"
t cat "$mnt/dump" >"$work/big.dump"
expect "dump of $big rows: $((big + 2)) lines" "$((big + 2))" "$(wc -l <"$work/big.dump" | tr -d ' ')"
remount_on "$work/big2.db" || { not_ok "mount big2.db"; done_testing; }
if t cat "$work/big.dump" >"$ctl" 2>"$work/err"; then
	ok "import of the $big-row dump"
else
	not_ok "import of the $big-row dump" "$(cat "$work/err")"
fi
t cat "$mnt/rows" >"$work/big2.rows"
if cmp -s "$work/big1.rows" "$work/big2.rows"; then
	ok "$big rows: rows of both databases byte-identical"
else
	not_ok "$big rows: rows of both databases byte-identical" \
		"$(cmp "$work/big1.rows" "$work/big2.rows" 2>&1)"
fi
expect "stats of the import: one commit" "commits: 1" "$(t grep '^commits:' "$mnt/stats")"
echo "# big round trip: $(($(date +%s) - start)) s"
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "fsck clean"; else not_ok "fsck clean" "$(cat "$work/out")"; fi

done_testing
