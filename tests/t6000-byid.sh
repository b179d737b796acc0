#!/bin/sh
# t6000-byid.sh - by-id/: the listing in key order (ls -f, ls, find,
# python3 os.listdir), `ls -f | head` fast on 100,000 rows, cat and the
# exact st_size, echo > as insert and as update, printf without newline,
# CRLF, rm and rm of a missing row (ENOENT), bad names and bad contents
# (EINVAL, row unchanged), touch, invalid names (ENOENT; names that are
# not numbers are temporary files: t6900), mkdir/mv/ln
# refused (EPERM, never EXDEV), modes, df, and -o ro (EROFS on write and
# rm).  TAP.

# shellcheck disable=SC2016 # awk programs and sh -c scripts are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
byid=$mnt/by-id

# row ID: the line of ID in rows, or nothing.
row() { t cat "$mnt/rows" | grep "^$1	"; }

# 200 rows in shuffled order.
awk 'BEGIN { for (i = 0; i < 200; i++) printf "insert %d user%d\n", (i * 37) % 200 * 3, i }' \
	>"$work/in"
t cat "$work/in" >"$ctl"
sed 's/^insert \([0-9]*\) .*/\1/' "$work/in" | sort -n >"$work/keys"

# ls -f: the daemon's order, which is key order; "." and ".." first.
t ls -f "$byid" >"$work/out"
{ printf '.\n..\n'; cat "$work/keys"; } >"$work/exp"
check "ls -f by-id: . .. then every key in key order" "$work/exp" "$work/out"
t ls "$byid" | sort -n >"$work/out"
check "ls by-id: the same names" "$work/keys" "$work/out"
expect "find by-id -type f | wc -l" 200 "$(t find "$byid" -type f | wc -l)"
expect "find by-id -type d: only by-id itself" "$byid" "$(t find "$byid" -type d)"

# cat and stat.
name=$(sed -n 's/^insert 111 //p' "$work/in")
expect "cat by-id/111" "$name" "$(t cat "$byid/111")"
expect "stat -c %s by-id/111 is the name length + 1" $((${#name} + 1)) "$(t stat -c %s "$byid/111")"
expect "row file mode 0644, regular" "-rw-r--r--" "$(t stat -c %A "$byid/111")"
expect "by-id mode 0755, directory" "drwxr-xr-x" "$(t stat -c %A "$byid")"
t od -c "$byid/111" >"$work/out"
printf '%s\n' "$name" | od -c >"$work/exp"
check "cat by-id/111: the name and one newline, nothing else" "$work/exp" "$work/out"

# echo >: update of an existing row, insert of a new one.
if t sh -c 'echo bob >"$1"' sh "$byid/111"; then ok "echo bob > by-id/111 (update)"; else
	not_ok "echo bob > by-id/111 (update)"; fi
expect "update: rows shows it" "111	bob" "$(row 111)"
expect "update: cat by-id/111" "bob" "$(t cat "$byid/111")"
expect "update: stat -c %s is 4" 4 "$(t stat -c %s "$byid/111")"
if t sh -c 'echo carol >"$1"' sh "$byid/100000"; then ok "echo carol > by-id/100000 (insert)"; else
	not_ok "echo carol > by-id/100000 (insert)"; fi
expect "insert: rows shows it" "100000	carol" "$(row 100000)"
expect "insert: 201 files" 201 "$(t ls -f "$byid" | grep -c -v '^\.')"
t sh -c 'printf dave >"$1"' sh "$byid/7"
expect "printf without newline: applied at close" "7	dave" "$(row 7)"
t sh -c 'printf "erin\r\n" >"$1"' sh "$byid/8"
expect "CRLF: the CR is dropped" "8	erin" "$(row 8)"
if t sh -c 'echo frank >"$1"' sh "$byid/4294967295"; then
	expect "the largest id 4294967295" "4294967295	frank" "$(row 4294967295)"
else
	not_ok "the largest id 4294967295"
fi
t sh -c 'echo 12345 >"$1"' sh "$byid/9"
expect "a name of digits is a name" "9	12345" "$(row 9)"

# Bad contents: EINVAL, the row unchanged (and not created).
# badwrite NAME ID CONTENT: printf CONTENT > by-id/ID fails with EINVAL,
# and row ID is what it was.
badwrite() {
	before=$(row "$2")
	if t env printf "$3" >"$byid/$2" 2>"$work/err"; then
		not_ok "$1: write fails" "it succeeded"
	elif grep -q "$EINVAL" "$work/err"; then
		expect "$1: EINVAL, row $2 unchanged" "$before" "$(row "$2")"
	else
		not_ok "$1: EINVAL" "$(cat "$work/err")"
	fi
}
badwrite "bad character" 111 'x@y\n'
badwrite "name too long (33 bytes)" 111 'abcdefghijklmnopqrstuvwxyz0123456\n'
badwrite "name with a space" 111 'a b\n'
badwrite "leading space" 111 ' bob\n'
badwrite "empty line" 111 '\n'
badwrite "two lines in one write" 111 'x\ny\n'
badwrite "bad name for a new id" 5000 'x@y\n'
expect "a failed write to a new id creates nothing" "" "$(row 5000)"
out=$(t "$WRTEST" "$byid/111" 'a#b\n' 'ok\n')
expect "wrtest: -1 EINVAL, then a good line on the same fd" "$(printf -- '-1 EINVAL\n3\nclose 0')" "$out"
expect "wrtest: the good line applied" "111	ok" "$(row 111)"
out=$(t "$WRTEST" "$byid/111" 'one\n' 'two\n')
expect "wrtest: a second line on the same fd is EINVAL" "$(printf -- '4\n-1 EINVAL\nclose 0')" "$out"
expect "wrtest: the first line stays" "111	one" "$(row 111)"
out=$(t "$WRTEST" "$byid/111" 'part' 'ial')
expect "wrtest: a partial line applies at close" "$(printf -- '4\n3\nclose 0')" "$out"
expect "wrtest: the partial line applied" "111	partial" "$(row 111)"
out=$(t "$WRTEST" "$byid/111" 'bad@' )
expect "wrtest: a bad partial line fails at close" "$(printf -- '4\nclose -1 EINVAL')" "$out"
expect "wrtest: row unchanged" "111	partial" "$(row 111)"

# touch: an existing row is unchanged; a new id cannot be an empty row.
if t touch "$byid/111" && [ "$(row 111)" = "111	partial" ]; then
	ok "touch an existing row: accepted, unchanged"
else
	not_ok "touch an existing row: accepted, unchanged"
fi
refused "touch by-id/777 (new id: a row needs a name)" "$EINVAL" touch "$byid/777"
refused "touch by-id/777 leaves no file" "$ENOENT" stat "$byid/777"
expect "touch by-id/777 leaves no row" "" "$(row 777)"
if t truncate -s 0 "$byid/111" && [ "$(row 111)" = "111	partial" ]; then
	ok "truncate -s 0 by-id/111: accepted, changes nothing"
else
	not_ok "truncate -s 0 by-id/111: accepted, changes nothing"
fi
refused "truncate -s 3 by-id/111" "$EINVAL" truncate -s 3 "$byid/111"

# rm.
if t rm "$byid/111" && [ -z "$(row 111)" ]; then ok "rm by-id/111 deletes the row"; else
	not_ok "rm by-id/111 deletes the row"; fi
refused "rm by-id/111 again" "$ENOENT" rm "$byid/111"
refused "cat by-id/111 after rm" "$ENOENT" cat "$byid/111"
if t rm -f "$byid/111"; then ok "rm -f of a missing row: quiet"; else not_ok "rm -f of a missing row: quiet"; fi
expect "rows: 203 rows" 203 "$(t cat "$mnt/rows" | wc -l)"

# Names that are not ids.
for bad in abc 12ab +5 -5 012 00 4294967296 99999999999 1.0 " 5" "5 "; do
	refused "cat by-id/'$bad'" "$ENOENT" cat "$byid/$bad"
done
refused "echo x | tee by-id/012 (not a key)" "$ENOENT" sh -c 'echo x | tee "$1"' sh "$byid/012"
refused "rm by-id/abc" "$ENOENT" rm "$byid/abc"
refused "cat by-id/12345678 (absent)" "$ENOENT" cat "$byid/12345678"

# What by-id/ does not do.
refused "mkdir by-id/x" "$EPERM" mkdir "$byid/x"
refused "mkdir by-id/13 (absent id)" "$EPERM" mkdir "$byid/13"
refused "mv by-id/3 by-id/4 (EPERM, never EXDEV)" "$EPERM" mv "$byid/3" "$byid/4"
refused "mv by-id/3 by-id/1000001" "$EPERM" mv "$byid/3" "$byid/1000001"
refused "mv by-id/3 to the root" "$EPERM" mv "$byid/3" "$mnt/x"
refused "ln by-id/3 by-id/1000002" "$EPERM" ln "$byid/3" "$byid/1000002"
refused "ln -s" "$EPERM" ln -s 3 "$byid/1000003"
refused "mkfifo by-id/1000004" "$EPERM" mkfifo "$byid/1000004"
refused "chmod by-id/3" "$EPERM" chmod 0600 "$byid/3"
refused "rmdir by-id" "$EPERM" rmdir "$byid"
expect "rows unchanged by the refusals: 203 rows" 203 "$(t cat "$mnt/rows" | wc -l)"

# python3: os.listdir, and open('w') as an upsert.
if command -v python3 >/dev/null 2>&1; then
	t cat "$mnt/rows" | cut -f1 >"$work/exp"
	t python3 -c '
import os, sys
for n in sorted(os.listdir(sys.argv[1]), key=int):
    print(n)' "$byid" >"$work/out" 2>&1
	check "python3 os.listdir(by-id): every key" "$work/exp" "$work/out"
	if t python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    f.write("grace\n")
with open(sys.argv[1]) as f:
    assert f.read() == "grace\n"' "$byid/31337"; then
		ok "python3 open(\"w\").write, then read back"
	else
		not_ok "python3 open(\"w\").write, then read back"
	fi
else
	skip "python3 not installed: os.listdir"
	skip "python3 not installed: open(w)"
fi

# df: pages and rows.
rows=$(t cat "$mnt/rows" | wc -l)
expect "df -i: inodes used = rows" "$rows" "$(t df -i -P "$mnt" | awk 'NR == 2 { print $3 }')"
pages=$(t sed -n 's/^pages: //p' "$mnt/stats")
free=$(t sed -n 's/^free_pages: //p' "$mnt/stats")
expect "df: 4 KiB blocks used = pages in use" $(((pages - free) * 4)) \
	"$(t df -k -P "$mnt" | awk 'NR == 2 { print $3 }')"

# 100,000 rows: ls -f | head is instant (bounded generously), ls -f complete.
awk 'BEGIN { for (i = 200000; i < 300000; i++) printf "insert %d u%d\n", i, i }' >"$ctl"
total=$(t cat "$mnt/rows" | wc -l)
start=$(date +%s)
first=$(timeout 10 sh -c 'ls -f "$1" | head -n 5' sh "$byid" | tr '\n' ' ')
took=$(($(date +%s) - start))
expect "ls -f by-id | head -n 5 on $total rows" ". .. 0 3 6 " "$first"
if [ "$took" -le 5 ]; then ok "ls -f | head took ${took}s (<= 5)"; else not_ok "ls -f | head took ${took}s"; fi
expect "ls -f by-id | wc -l" $((total + 2)) "$(t ls -f "$byid" | wc -l)"
expect "ls -f: sorted, no duplicate" "" "$(t ls -f "$byid" | grep -v '^\.' | sort -n -c 2>&1; t ls -f "$byid" | uniq -d)"
expect "find by-id -type f | wc -l" "$total" "$(t find "$byid" -type f | wc -l)"

if daemon_alive && t cat "$byid/200000" | grep -q -x u200000; then ok "the daemon carries on"; else
	not_ok "the daemon carries on"; fi
if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi

# -o ro: reads work, writes and rm fail with EROFS.
if mount_rowfs -o ro; then ok "-o ro: mounts"; else not_ok "-o ro: mounts"; fi
expect "-o ro: cat by-id/7" "dave" "$(t cat "$byid/7")"
refused "-o ro: echo > by-id/7" "$EROFS" sh -c 'echo x >"$1"' sh "$byid/7"
refused "-o ro: echo > by-id/123456 (new)" "$EROFS" sh -c 'echo x >"$1"' sh "$byid/123456"
refused "-o ro: rm by-id/7" "$EROFS" rm "$byid/7"
expect "-o ro: row 7 unchanged" "7	dave" "$(row 7)"
if umount_rowfs; then ok "-o ro: clean unmount"; else not_ok "-o ro: clean unmount"; fi
if t "$FSCK" "$db" >"$work/out" 2>&1; then ok "fsck clean"; else not_ok "fsck clean" "$(cat "$work/out")"; fi
done_testing
