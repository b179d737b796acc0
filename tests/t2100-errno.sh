#!/bin/sh
# t2100-errno.sh - every error row of CONTRACT.md through ctl: the errno of
# write() (as wrtest and the shell show it) and the reply text on the same
# descriptor; the short-count rule (lines before a failing line commit,
# write() returns their bytes, the retry gets -1); and the operations the
# mount refuses, after which the daemon carries on.  TAP.

# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
echo "insert 42 x" >"$ctl"

# errcase ERRNO STRERROR TEXT LINE: one write() of LINE\n returns -1 ERRNO,
# the reply is TEXT, and printf(1) LINE > ctl prints STRERROR (coreutils',
# through env: dash's builtin says "I/O error" for every failed write).
errcase() {
	t "$WRTEST" -r "$ctl" "$4\\n" >"$work/out"
	printf -- '-1 %s\n--\n%s\nclose 0\n' "$1" "$3" >"$work/exp"
	if cmp -s "$work/exp" "$work/out"; then
		if t env printf '%s\n' "$4" >"$ctl" 2>"$work/err"; then
			not_ok "$1 '$3': the shell's write failed" "it succeeded"
		elif grep -q "$2" "$work/err"; then
			ok "$1 '$3'"
		else
			not_ok "$1 '$3': shell says $2" "$(cat "$work/err")"
		fi
	else
		not_ok "$1 '$3'" "$(diff -u "$work/exp" "$work/out" | head -20)"
	fi
}

errcase EINVAL "$EINVAL" "Token error: Unexpected character '@' at position 10" "insert 1 a@b"
errcase EINVAL "$EINVAL" "Parse error: Expected INTEGER, got STRING at position 7" "insert abc bob"
errcase EINVAL "$EINVAL" "Parse error: Expected INTEGER, got EOF at position 6" "insert"
errcase EINVAL "$EINVAL" "Parse error: Expected STRING, got EOF at position 8" "insert 1"
errcase EINVAL "$EINVAL" "Parse error: Row id must be non-negative" "insert -1 bob"
errcase EINVAL "$EINVAL" "Parse error: Row id out of range" "insert 4294967296 bob"
errcase EINVAL "$EINVAL" "Parse error: Expected INSERT, SELECT, or meta-command" "drop 1"
errcase EINVAL "$EINVAL" "Unrecognized meta-command: .drop" ".drop"
errcase EINVAL "$EINVAL" "Parse error: Expected end of line, got STRING at position 7" "select x"
errcase EINVAL "$EINVAL" "Error: username too long (33 > 32)" \
	"insert 5 abcdefghijklmnopqrstuvwxyz0123456"
errcase EEXIST "File exists" "Error: duplicate key 42." "insert 42 again"

# NUL byte (wrtest only: shells cannot pass NUL).
t "$WRTEST" -r "$ctl" 'insert 7 a\0b\n' >"$work/out"
printf -- '-1 EINVAL\n--\nParse error: NUL byte\nclose 0\n' >"$work/exp"
check "EINVAL 'Parse error: NUL byte'" "$work/exp" "$work/out"
# A line over 4 MiB, written in pieces of 64 KiB (one write() larger than
# the kernel's FUSE request size would reach the daemon as several
# requests): the write() that ends it fails with EINVAL, the reply on the
# same descriptor says why.  (head, tr and printf must not inherit fd 3.)
exec 3<>"$ctl"
{ printf 'insert 8 '; head -c 4194305 /dev/zero | tr '\0' a; printf '\n'; } 3>&- |
	t dd bs=65536 >&3 3>&- 2>"$work/err"
st=$?
reply=$(t cat <&3)
exec 3>&-
expect "EINVAL 'Parse error: line too long' (4194315-byte line)" "Parse error: line too long" \
	"$reply"
if [ "$st" -ne 0 ] && grep -q "$EINVAL" "$work/err"; then
	ok "dd shows Invalid argument for the long line"
else
	not_ok "dd shows Invalid argument for the long line" "status $st" "$(cat "$work/err")"
fi

# The short-count rule, exactly (24 = the bytes of the first two lines).
t "$WRTEST" -r "$ctl" 'insert 10 a\ninsert 11 b\ninsert 10 c\n' 'insert 10 c\n' >"$work/out"
printf -- '24\n-1 EEXIST\n--\nExecuted.\nExecuted.\nError: duplicate key 10.\nclose 0\n' >"$work/exp"
check "short count 24, then the retry gets -1 EEXIST; replies in order" "$work/exp" "$work/out"
t "$WRTEST" -r "$ctl" 'insert 20 x@y\ninsert 21 ok\n' >"$work/out"
printf -- "-1 EINVAL\n--\nToken error: Unexpected character '@' at position 11\nclose 0\n" >"$work/exp"
check "first line fails: -1 EINVAL" "$work/exp" "$work/out"
if t cat "$mnt/rows" | grep -q "^21	"; then
	not_ok "first line fails: nothing of the write applied" "row 21 exists"
else
	ok "first line fails: nothing of the write applied"
fi
# What cat's write-all loop makes of it: lines before commit, the rest not.
printf 'insert 30 a\ninsert 31 b\ninsert 30 c\ninsert 32 d\n' >"$work/in"
if t cat "$work/in" >"$ctl" 2>"$work/err"; then
	not_ok "cat: fails with File exists" "it succeeded"
elif grep -q "File exists" "$work/err" && t cat "$mnt/rows" | grep -q -x "31	b" &&
	! t cat "$mnt/rows" | grep -q "^32	"; then
	ok "cat: File exists; lines before the failing one committed, none after"
else
	not_ok "cat: File exists; lines before the failing one committed, none after" \
		"$(cat "$work/err")"
fi

# Operations the mount refuses.
refused "mkdir" "$EPERM" mkdir "$mnt/dir"
refused "rm rows" "$EPERM" rm -f "$mnt/rows"
refused "mv rows rows2 (EPERM, never EXDEV)" "$EPERM" mv "$mnt/rows" "$mnt/rows2"
refused "ln rows" "$EPERM" ln "$mnt/rows" "$mnt/link"
refused "ln -s" "$EPERM" ln -s rows "$mnt/symlink"
refused "chmod" "$EPERM" chmod 0666 "$mnt/rows"
refused "chown" "$EPERM" chown 1:1 "$mnt/ctl"
refused "touch a new file" "$EPERM" touch "$mnt/newfile"
refused "mkfifo" "$EPERM" mkfifo "$mnt/fifo"
# shellcheck disable=SC2016 # $1 is for the inner sh
refused "write to rows" "Permission denied" sh -c 'echo x >"$1"' sh "$mnt/rows"
refused "truncate rows" "Permission denied" truncate -s 0 "$mnt/stats"
refused "cat a missing file" "No such file or directory" cat "$mnt/missing"
if t touch "$mnt/ctl" "$mnt/rows"; then ok "touch ctl rows: accepted, changes nothing"; else
	not_ok "touch ctl rows: accepted, changes nothing"; fi
# shellcheck disable=SC2012 # the listing itself is under test
expect "the directory still holds exactly its sixteen names (Part 2 added tables/ and log)" \
	"btree by-id changes check constants ctl dump first last log range rows rows.csv rows.ndjson stats tables" \
	"$(ls "$mnt" | tr '\n' ' ' | sed 's/ $//')"
if daemon_alive && echo "insert 99 alive" >"$ctl" && t cat "$mnt/rows" | grep -q -x "99	alive"; then
	ok "the daemon carries on"
else
	not_ok "the daemon carries on"
fi

if umount_rowfs; then ok "clean unmount"; else not_ok "clean unmount"; fi
done_testing
