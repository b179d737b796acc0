#!/bin/sh
# t6520-rowsh-client.sh - `rowsh MNT`: rowsh as a client of the running
# daemon through MNT/ctl, with a handle and a transaction of its own:
#   - statements as arguments and from a pipe; the same replies, errors,
#     "Error near line N" copies and exit status as rowsh on a database
#     file, for thousands of random statements (good and bad, in chunks of
#     many lines, so ctl's short counts are met) - rowsh on a file is the
#     model;
#   - its transaction: invisible to `cat rows` and to another rowsh MNT
#     until its commit, another writer gets EBUSY's text meanwhile, and
#     end of input rolls it back;
#   - .import through the mount: header, one transaction, a bad line near
#     the end of 20,000 rows leaves nothing and names its line;
#   - what a mount cannot do: typed modes (.mode csv, -csv), -o options;
#     a read-only mount (EROFS); the daemon killed under it (ENOTCONN);
#   - an unknown meta-command with arguments, on ctl itself.  TAP.

# shellcheck disable=SC2016 # awk programs are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
BUSY="Error: database is busy: another handle has a transaction open"

holder=""
# close_holder: the exit hook; ends the rowsh holding a transaction, if any.
# shellcheck disable=SC2317 # called by tap.sh's EXIT trap
close_holder() {
	exec 3>&- 2>/dev/null
	if [ -n "$holder" ]; then
		kill "$holder" 2>/dev/null
		wait "$holder" 2>/dev/null
	fi
}
at_exit close_holder

# same NAME: $work/out, err, st (rowsh MNT) equal $work/mout, merr, mst (the model).
same() {
	if cmp -s "$work/mout" "$work/out" && cmp -s "$work/merr" "$work/err" && [ "$st" = "$mst" ]; then
		ok "$1"
	else
		not_ok "$1" "status $st, model $mst" "$(diff -u "$work/mout" "$work/out" | head -20)" \
			"$(diff -u "$work/merr" "$work/err" | head -20)"
	fi
}

mount_rowfs || { not_ok "mount"; done_testing; }
model=$work/model.db

# ---- arguments ---------------------------------------------------------------

rsh "$mnt" "create table t (id integer primary key, name text, n integer)" \
	"insert into t values (1, 'one', 10), (2, 'two', null)" "select * from t" \
	"select" >"$work/out" 2>"$work/err"
st=$?
rsh "$model" "create table t (id integer primary key, name text, n integer)" \
	"insert into t values (1, 'one', 10), (2, 'two', null)" "select * from t" \
	"select" >"$work/mout" 2>"$work/merr"
mst=$?
same "statements as arguments, through the mount"
printf 'Executed.\nExecuted.\n(1, one, 10)\n(2, two, NULL)\n(empty table)\n' >"$work/exp"
check "... their replies" "$work/exp" "$work/out"
rsh "$mnt" "insert 1 a" "select x" "insert 2 b" >"$work/out" 2>"$work/err"
st=$?
rsh "$model" "insert 1 a" "select x" "insert 2 b" >"$work/mout" 2>"$work/merr"
mst=$?
same "arguments stop at the first error, exit 1"

# ---- the model: thousands of random statements ---------------------------------

seed=${ROWFS_T6520_SEED:-$(date +%s)}
count=${ROWFS_T6520_STATEMENTS:-6000}
awk -v seed="$seed" -v n="$count" 'BEGIN {
	srand(seed)
	for (i = 0; i < n; i++) {
		r = rand(); k = int(rand() * 400)
		if (r < 0.30) printf "insert %d u%d\n", k, i
		else if (r < 0.40) printf "delete %d\n", k
		else if (r < 0.47) printf "update %d v%d\n", k, i
		else if (r < 0.62) printf "insert into t values (%d, %c%s%c, %d)\n", 10 + k, 39, "n" i, 39, i
		else if (r < 0.66) printf "insert into t values (%d, %d, %c%s%c)\n", k, i, 39, "bad", 39
		else if (r < 0.70) printf "select count(*) from t where n > %d\n", int(rand() * n)
		else if (r < 0.73) printf "select * from t where id between %d and %d\n", k, k + 3
		else if (r < 0.75) printf "select * from t\n  where id < %d;\n", k
		else if (r < 0.78) printf "update t set n = %d where id = %d\n", i, 10 + k
		else if (r < 0.80) printf "delete from t where id > %d and id < %d\n", k, k + 2
		else if (r < 0.82) printf "insert %d a@b\n", k
		else if (r < 0.83) printf ".foo bar %d\n", k
		else if (r < 0.84) printf "select nope from t\n"
		else if (r < 0.86) printf "begin\n"
		else if (r < 0.88) printf "commit\n"
		else if (r < 0.89) printf "rollback\n"
		else if (r < 0.90) printf ".tables\n"
		else if (r < 0.91) printf ".schema t\n"
		else printf "select * from users where id = %d\n", k
	}
	print "commit"
	print "select"
	print "select * from t"
}' >"$work/random.in"
rsh "$mnt" <"$work/random.in" >"$work/out" 2>"$work/err"
st=$?
rsh "$model" <"$work/random.in" >"$work/mout" 2>"$work/merr"
mst=$?
same "$count random statements (seed $seed): replies, stderr and status as rowsh on a file"
if [ "$(grep -c -E '^Error near line' "$work/err")" -gt 100 ]; then
	ok "... among them more than 100 errors"
else
	not_ok "... among them more than 100 errors" "$(wc -l <"$work/err")"
fi

# ---- its own transaction --------------------------------------------------------

mkfifo "$work/fifo"
timeout "$T" "$ROWSH" "$mnt" <"$work/fifo" >"$work/holder.out" 2>"$work/holder.err" &
holder=$!
exec 3>"$work/fifo"
printf "begin\ninsert into t values (5000, 'tx', 1)\n" >&3
i=0
while [ "$(grep -c Executed "$work/holder.out" 2>/dev/null)" != 2 ] && [ $i -lt $((T * 10)) ]; do
	sleep_a_bit
	i=$((i + 1))
done
if ! grep -q "^5000	" "$mnt/tables/t/rows" &&
	[ "$(rsh "$mnt" "select count(*) from t where id = 5000")" = "(0)" ]; then
	ok "inside rowsh MNT's transaction: cat rows and another rowsh MNT do not see its insert"
else
	not_ok "inside rowsh MNT's transaction: invisible to others" "$(cat "$work/holder.out")"
fi
rsh "$mnt" "insert into t values (5001, 'other', 1)" >"$work/out" 2>"$work/err"
st=$?
if [ $st = 1 ] && [ "$(cat "$work/out")" = "$BUSY" ]; then
	ok "another writer meanwhile: exit 1 with the busy text"
else
	not_ok "another writer meanwhile: exit 1 with the busy text" "status $st" \
		"$(cat "$work/out" "$work/err")"
fi
printf "select count(*) from t where id >= 5000\ncommit\n" >&3
i=0
while [ "$(grep -c Executed "$work/holder.out")" != 3 ] && [ $i -lt $((T * 10)) ]; do
	sleep_a_bit
	i=$((i + 1))
done
if grep -q '^5000	tx	1$' "$mnt/tables/t/rows" &&
	[ "$(rsh "$mnt" "select count(*) from t where id = 5000")" = "(1)" ]; then
	ok "after its commit the insert is seen by all"
else
	not_ok "after its commit the insert is seen by all" "$(cat "$work/holder.out")"
fi
printf "begin\ninsert into t values (5002, 'lost', 1)\n" >&3
exec 3>&-
wait "$holder"
hst=$?
holder=""
printf 'Executed.\nExecuted.\n(1)\nExecuted.\nExecuted.\nExecuted.\n' >"$work/exp"
if [ $hst = 0 ] && cmp -s "$work/exp" "$work/holder.out" && [ ! -s "$work/holder.err" ] &&
	[ "$(rsh "$mnt" "select count(*) from t where id = 5002")" = "(0)" ]; then
	ok "its replies; end of input with a transaction open rolls it back"
else
	not_ok "its replies; end of input with a transaction open rolls it back" "status $hst" \
		"$(diff -u "$work/exp" "$work/holder.out")" "$(cat "$work/holder.err")"
fi

# ---- .import -----------------------------------------------------------------------

rsh "$mnt" "create table imp (id integer primary key, name text)" >/dev/null
awk 'BEGIN { print "id,name"; for (i = 1; i <= 20000; i++) printf "%d,\"name, %d\"\n", i, i }' \
	>"$work/imp.csv"
sed '19990s/.*/19988,"a duplicate key"/' "$work/imp.csv" >"$work/bad.csv"
rsh "$mnt" ".import $work/bad.csv imp" "select count(*) from imp" >"$work/out" 2>"$work/err"
st=$?
if [ $st = 1 ] &&
	[ "$(cat "$work/out")" = "line 19990: Error: duplicate key 19988." ] &&
	[ "$(rsh "$mnt" "select count(*) from imp")" = "(0)" ]; then
	ok ".import through the mount: a bad line near the end of 20,000 leaves nothing"
else
	not_ok ".import through the mount: a bad line near the end leaves nothing" "status $st" \
		"$(cat "$work/out" "$work/err")" "$(rsh "$mnt" "select count(*) from imp")"
fi
rsh "$mnt" ".import $work/imp.csv imp" "select count(*) from imp" \
	"select * from imp where id = 20000" >"$work/out" 2>"$work/err"
st=$?
printf '(20000)\n(20000, name, 20000)\n' >"$work/exp"
if [ $st = 0 ] && cmp -s "$work/exp" "$work/out" && [ ! -s "$work/err" ] &&
	[ "$(wc -l <"$mnt/tables/imp/rows")" = 20000 ]; then
	ok ".import through the mount: 20,000 rows, the header skipped"
else
	not_ok ".import through the mount: 20,000 rows" "status $st" "$(cat "$work/out" "$work/err")"
fi

# ---- what a mount cannot do ----------------------------------------------------------

printf '.mode csv\n.mode\nselect count(*) from imp\n' | rsh "$mnt" >"$work/out" 2>"$work/err"
st=$?
printf 'Error: mode csv needs typed results: rowsh MNT prints list mode only\ncurrent output mode: list\n(20000)\n' \
	>"$work/exp"
if [ $st = 1 ] && cmp -s "$work/exp" "$work/out"; then
	ok ".mode csv through a mount: its error; list mode stays"
else
	not_ok ".mode csv through a mount: its error" "status $st" "$(diff -u "$work/exp" "$work/out")"
fi
fails_with "-csv with a mount: a usage error" \
	"rowsh: -csv needs typed results: rowsh MNT prints list mode only" rsh -csv "$mnt"
rsh -json "$mnt" </dev/null >/dev/null 2>&1
expect "... exit status 2" 2 $?
fails_with "-o sync=off with a mount: a usage error" \
	"rowsh: -o, --sync, --cache-pages and --read-only are for a database file" \
	rsh -o sync=off "$mnt"

# an unknown meta-command with arguments, on ctl itself
exec 4<>"$mnt/ctl"
if printf '.foo bar\n' >&4 2>/dev/null; then
	not_ok "'.foo bar' on ctl fails" "the write succeeded"
else
	ok "'.foo bar' on ctl fails"
fi
expect "... with 'Unrecognized meta-command: .foo'" "Unrecognized meta-command: .foo" \
	"$(t cat <&4)"
exec 4>&-

# a read-only mount
umount_rowfs || not_ok "unmount"
mount_rowfs -o ro || { not_ok "mount -o ro"; done_testing; }
fails_with "rowsh MNT on a read-only mount: EROFS's text" \
	"rowsh: cannot open '$mnt/ctl': Read-only file system" rsh "$mnt" "select"
umount_rowfs || not_ok "unmount"

# the daemon killed under a running rowsh MNT
mount_rowfs || { not_ok "mount"; done_testing; }
timeout "$T" "$ROWSH" "$mnt" <"$work/fifo" >"$work/holder.out" 2>"$work/holder.err" &
holder=$!
exec 3>"$work/fifo"
printf 'select count(*) from imp\n' >&3
i=0
while ! grep -q 20000 "$work/holder.out" 2>/dev/null && [ $i -lt $((T * 10)) ]; do
	sleep_a_bit
	i=$((i + 1))
done
kill_daemon KILL
printf 'select count(*) from imp\nselect\n' >&3
exec 3>&-
wait "$holder"
hst=$?
holder=""
printf '(20000)\nError: write '\''%s/ctl'\'': Transport endpoint is not connected\n' "$mnt" \
	>"$work/exp"
if [ $hst = 1 ] && cmp -s "$work/exp" "$work/holder.out"; then
	ok "the daemon killed under rowsh MNT: ENOTCONN's text, it stops, exit 1"
else
	not_ok "the daemon killed under rowsh MNT: ENOTCONN's text, exit 1" "status $hst" \
		"$(diff -u "$work/exp" "$work/holder.out")" "$(cat "$work/holder.err")"
fi

done_testing
