#!/bin/sh
# t6950-sizes.sh - what stat says of the mount's files is what an open
# reads, and everyday tools rely on it: st_size of every file of the root
# and of two tables (texts with escapes, NULLs, reals, blobs; an empty
# table; a table of 3000 rows) equals `cat | wc -c`, also after inserts,
# updates, deletes, DDL and across a remount; ctl, changes and check are
# streams of size 0; st_mtime moves with a commit that changes the table
# and not with one that changes another; `rsync -a` twice with a
# same-length update in between copies the change; tar, cp -a, dd and
# python's shutil.copy (sendfile) make exact copies; `tail -f changes` and
# `tail -F changes` print a new commit's line within 2 s while `cat
# changes` still blocks.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl

# run STATEMENT: one line written to ctl, which must succeed.
run() {
	printf '%s\n' "$1" >"$ctl" || not_ok "statement: $1"
}

# The regular files whose size is their content (streams excluded).
files() {
	for d in "" tables/t tables/e tables/big tables/users; do
		p=${d:+$d/}
		[ -n "$d" ] && [ ! -d "$mnt/$d" ] && continue
		for f in rows rows.csv rows.ndjson btree stats; do echo "$p$f"; done
		if [ -z "$d" ]; then
			echo constants
			echo dump
			echo range/1-3
			echo range/2-2
		else
			echo "${p}schema"
			if [ "$d" = tables/users ]; then echo "${p}range/0..5"; else echo "${p}range/-5..5"; fi
		fi
		echo "${p}first/2"
		echo "${p}first/100000"
		echo "${p}last/3"
		# shellcheck disable=SC2010 # keys are digits and '-'
		for k in $(ls -f "$mnt/${p}by-id" | grep -v '^\.' | head -20); do
			echo "${p}by-id/$k"
		done
	done
}

# check_sizes LABEL: every file's st_size is what cat reads; streams show 0.
check_sizes() {
	bad=""
	count=0
	for f in $(files); do
		s=$(t stat -c %s "$mnt/$f")
		c=$(t cat "$mnt/$f" | wc -c)
		[ "$s" = "$c" ] || bad="$bad $f:stat=$s,cat=$c"
		count=$((count + 1))
	done
	for f in ctl changes check; do
		s=$(t stat -c %s "$mnt/$f")
		[ "$s" = 0 ] || bad="$bad $f:stat=$s"
	done
	if [ -z "$bad" ]; then ok "$1 ($count files)"; else not_ok "$1" "$bad"; fi
}

# mtime FILE: st_mtime with nanoseconds.
mtime() { t stat -c %.9Y "$mnt/$1"; }

# the content.
run "insert 1 alice"
run "insert 2 bob"
run "insert 3 carol"
run "create table t (id integer primary key, name text, r real, b blob, n integer)"
run "insert into t values (-7, E'tab\\there\\nnew line', 2.5, x'00ff', null), (1, 'q''s \"x\", y', null, null, 42), (2, null, 1e100, x'', -1), (3, '', -0.0, x'0a0d', 0), (4, 'caf$(printf '\303\251') 日本', 0.1, null, null)"
run "create table e (id integer primary key, v text)"
awk 'BEGIN { printf "create table big (id integer primary key, v text, x real)\n";
	for (i = 1; i <= 3000; i++) printf "insert into big values (%d, '"'"'row %d %s'"'"', %d.5)\n", i, i, substr("abcdefghij", 1, i % 11), i }' \
	>"$work/big.in"
t cat "$work/big.in" >"$ctl" || not_ok "3000 rows of big"
check_sizes "st_size = what cat reads, every file"

# inserts, updates (other lengths), deletes, a key moved, in several commits.
run "insert 10 dave"
run "update 1 alice_longer_name"
run "delete 2"
run "insert into t values (9, E'a\\\\b', 3.25, x'abcdef', 9)"
run "update t set name = 'short' where id between -7 and 1"
run "delete from t where id = 3"
run "update t set id = 100 where id = 4"
run "update big set v = 'changed' where id between 100 and 1500"
run "delete from big where id > 2900"
printf 'begin\ninsert 20 in_txn\ninsert into t values (20, null, null, null, null)\ncommit\n' >"$ctl"
check_sizes "after inserts, updates, deletes"

# times.  A commit to t moves t's files, not users' nor e's; dump moves.
sleep 0.01
u0=$(mtime rows) t0=$(mtime tables/t/rows) e0=$(mtime tables/e/rows) d0=$(mtime dump)
r0=$(mtime tables/t/by-id/1) c0=$(mtime constants)
run "insert into t values (50, 'later', null, null, null)"
u1=$(mtime rows) t1=$(mtime tables/t/rows) e1=$(mtime tables/e/rows) d1=$(mtime dump)
r1=$(mtime tables/t/by-id/1)
if [ "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print (a > b) }')" = 1 ]; then
	ok "a commit to t moves tables/t/rows's mtime"
else
	not_ok "a commit to t moves tables/t/rows's mtime" "$t0 -> $t1"
fi
expect "... and not users' rows" "$u0" "$u1"
expect "... nor the other table's" "$e0" "$e1"
if [ "$d1" != "$d0" ] && [ "$r1" != "$r0" ]; then ok "dump and t's row files move too"; else
	not_ok "dump and t's row files move too" "dump $d0 -> $d1, by-id/1 $r0 -> $r1"; fi
expect "constants keeps the mount's time" "$c0" "$(mtime constants)"
run "update 10 davE"
expect "a commit to users moves rows, not tables/t/rows" "$t1" "$(mtime tables/t/rows)"
if [ "$(mtime rows)" != "$u1" ] && [ "$(t stat -c %.9Z "$mnt/rows")" = "$(mtime rows)" ]; then
	ok "... and moves rows (ctime = mtime)"
else
	not_ok "... and moves rows (ctime = mtime)"
fi

# same_as_mount DIR FILE...: each DIR/FILE equals cat of the mount's FILE.
same_as_mount() {
	dir=$1
	shift
	for f in "$@"; do
		t cat "$mnt/$f" | cmp -s - "$dir/$f" || { echo "$f"; return 1; }
	done
	return 0
}
rsynced="by-id/1 rows rows.csv rows.ndjson dump tables/users/by-id/1 tables/t/rows.ndjson
	tables/big/rows.csv"

# rsync -a twice, a same-length update in between.  import is
# write-only (tables/T/import, 0200): a backup leaves it out.
if command -v rsync >/dev/null 2>&1; then
	mkdir "$work/dst"
	t rsync -a --exclude=import "$mnt/" "$work/dst/" 2>"$work/rsync.err"
	expect "rsync -a: exit 0" 0 "$?"
	expect "rsync -a: by-id/1 copied" "alice_longer_name" "$(cat "$work/dst/by-id/1")"
	# rsync -a compares whole seconds of st_mtime: a change a second later
	sleep 1
	run "update 1 alice_longer_namf"   # same length
	t rsync -a --exclude=import "$mnt/" "$work/dst/" 2>>"$work/rsync.err"
	# shellcheck disable=SC2086 # the list is words
	if d=$(same_as_mount "$work/dst" $rsynced); then
		ok "a second rsync -a copies the same-length update"
	else
		not_ok "a second rsync -a copies the same-length update" "differs: $d" \
			"$(cat "$work/rsync.err")"
	fi
	# within the same second: rsync -@-1 compares nanoseconds, which every commit moves
	run "update 1 alice_longer_namg"
	t rsync -a -@-1 --exclude=import "$mnt/" "$work/dst/" 2>>"$work/rsync.err"
	# shellcheck disable=SC2086 # the list is words
	if d=$(same_as_mount "$work/dst" $rsynced); then
		ok "rsync -a -@-1 copies an update of the same second"
	else
		not_ok "rsync -a -@-1 copies an update of the same second" "differs: $d"
	fi
else
	skip "rsync not installed (scripts/deps.sh installs it)"
	skip "rsync not installed"
	skip "rsync not installed"
	skip "rsync not installed"
fi

copied="rows rows.csv rows.ndjson dump btree by-id/1 tables/t/rows tables/t/rows.csv
	tables/t/rows.ndjson tables/t/schema tables/t/by-id/-7 tables/big/rows tables/big/rows.ndjson"

# tar (it reads st_size bytes of each file).
mkdir "$work/untar"
# shellcheck disable=SC2086 # the list is words
(cd "$mnt" && t tar -cf "$work/x.tar" $copied) && t tar -C "$work/untar" -xf "$work/x.tar"
# shellcheck disable=SC2086
if d=$(same_as_mount "$work/untar" $copied); then ok "tar: exact copies"; else
	not_ok "tar: exact copies" "differs: $d"; fi

# cp -a of by-id/ directories and of files.
mkdir -p "$work/cp/tables/t" "$work/cp/tables/big"
t cp -a "$mnt/by-id" "$mnt/rows" "$mnt/rows.csv" "$mnt/rows.ndjson" "$mnt/dump" "$mnt/btree" \
	"$work/cp/" &&
	t cp -a "$mnt/tables/t/by-id" "$mnt/tables/t/rows" "$mnt/tables/t/rows.csv" \
		"$mnt/tables/t/rows.ndjson" "$mnt/tables/t/schema" "$work/cp/tables/t/" &&
	t cp -a "$mnt/tables/big/rows" "$mnt/tables/big/rows.ndjson" "$work/cp/tables/big/"
# shellcheck disable=SC2086
if d=$(same_as_mount "$work/cp" $copied); then ok "cp -a: exact copies"; else
	not_ok "cp -a: exact copies" "differs: $d"; fi

# python's shutil.copy (sendfile), and dd.
mkdir -p "$work/py/tables/t/by-id" "$work/py/tables/big" "$work/py/by-id"
# shellcheck disable=SC2086
t python3 -c 'import shutil, sys
for f in sys.argv[3:]:
    shutil.copy(sys.argv[1] + "/" + f, sys.argv[2] + "/" + f)' "$mnt" "$work/py" $copied
# shellcheck disable=SC2086
if d=$(same_as_mount "$work/py" $copied); then ok "shutil.copy: exact copies"; else
	not_ok "shutil.copy: exact copies" "differs: $d"; fi
t dd if="$mnt/tables/big/rows.ndjson" of="$work/dd.out" bs=1000 2>/dev/null
if t cat "$mnt/tables/big/rows.ndjson" | cmp -s - "$work/dd.out"; then
	ok "dd bs=1000: an exact copy"
else
	not_ok "dd bs=1000: an exact copy"
fi

# tail -f and tail -F see a new commit within 2 s; cat still blocks.
# follow OPTION NAME: tail OPTION changes in the background until it holds
# the file open; the commit's line must appear within 2 s.
follow() {
	tail "$1" "$mnt/changes" >"$work/$2.out" 2>"$work/$2.err" &
	tpid=$!
	i=0
	while [ $i -lt 50 ] && ! readlink "/proc/$tpid/fd/"* 2>/dev/null | grep -qx "$mnt/changes"; do
		sleep_a_bit
		i=$((i + 1))
	done
	sleep 1.2   # let it find the end of the file
	run "insert 700 followed_$2"
	i=0
	while [ $i -lt 20 ] && ! grep -q " insert 700 followed_$2\$" "$work/$2.out"; do
		sleep_a_bit
		i=$((i + 1))
	done
	if grep -q " insert 700 followed_$2\$" "$work/$2.out"; then
		ok "tail $1 changes prints a new commit within 2 s"
	else
		not_ok "tail $1 changes prints a new commit within 2 s" "$(cat "$work/$2.out" "$work/$2.err")"
	fi
	run "delete 700"
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
}
follow -f tailf
follow -F tailF
"$top_builddir/tests/changes_poll" cat "$mnt/changes" >"$work/cat.out" 2>&1 &
cpid=$!
sleep 1
if alive "$cpid"; then ok "cat changes still blocks at the end"; else
	not_ok "cat changes still blocks at the end" "$(cat "$work/cat.out")"; fi
run "insert 701 to_cat"
i=0
while [ $i -lt 30 ] && ! grep -q " insert 701 to_cat$" "$work/cat.out"; do sleep_a_bit; i=$((i + 1)); done
expect "... and gets the next commit" 1 "$(grep -c " insert 701 to_cat$" "$work/cat.out")"
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null

# DDL, then a remount (every count starts again from a scan).
run "drop table e"
run "create table e2 (id integer primary key, v blob)"
run "insert into e2 values (1, x'00'), (2, null)"
check_sizes "after drop and create table"
d_before=$(mtime dump)
if umount_rowfs; then ok "unmount"; else not_ok "unmount"; fi
mount_rowfs || { not_ok "remount"; done_testing; }
check_sizes "after a remount"
if [ "$(mtime dump)" != "$d_before" ]; then ok "a remount shows its own time"; else
	not_ok "a remount shows its own time"; fi
run "delete 10"
run "update big set x = 1e-300 where id < 50"
check_sizes "after a remount and more commits"
if umount_rowfs; then ok "unmount"; else not_ok "unmount"; fi
done_testing
