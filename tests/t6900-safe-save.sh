#!/bin/sh
# t6900-safe-save.sh - saving through a temporary file and rename(2) in
# by-id/ (of the root and of tables/T/): sed -i on row files of users, of
# a one-value table and of a JSON table, a sed -i whose result is not a
# valid row (refused, row unchanged), Python's tempfile + os.replace (an
# update and an insert), renameat2 RENAME_NOREPLACE, vim -es (plain, and
# with backups by rename and by copy), rsync when installed; temporary
# files themselves: write, read back, stat, truncate, pwrite at offsets
# against a model file, O_APPEND, chmod/chown accepted, rename among
# themselves, rm; never listed by readdir; renames refused (EPERM):
# across directories and row to temporary name; names that look like
# numbers are not temporary files; EBUSY while a ctl handle holds the
# write transaction; truncate of a row file to its current size; the
# bound (-o tmp_memory: ENOSPC, and the file count); gone after a
# remount; EROFS under -o ro.  TAP.

# shellcheck disable=SC2016 # python and sh -c programs are single-quoted on purpose
# shellcheck source=tests/lib.sh
. "${top_srcdir:-.}/tests/lib.sh"

require_fuse
mount_rowfs || { not_ok "mount"; done_testing; }
ctl=$mnt/ctl
byid=$mnt/by-id
HOME=$work   # vim's and python's dotfiles stay in the work directory
export HOME

EINVAL="Invalid argument"
ENOENT="No such file or directory"
EPERM="Operation not permitted"
EBUSY="Device or resource busy"
ENOSPC="No space left on device"
EROFS="Read-only file system"

# listing DIR: ls -a of DIR, one name a line.
listing() { t ls -a "$1"; }
# row ID: the line of ID in rows, or nothing.
row() { t cat "$mnt/rows" | grep "^$1	"; }

printf 'insert 1 alice\ninsert 2 bob\ninsert 3 carol\n' >"$ctl"
printf '%s\n' "create table t (id integer primary key, name text, score integer)" \
	"insert into t values (5, 'x', 3), (-7, 'neg', 1)" \
	"create table v (k integer primary key, word text)" \
	"insert into v values (1, 'one')" >"$ctl"
tt=$mnt/tables/t/by-id
tv=$mnt/tables/v/by-id

# ---- sed -i ----
if t sed -i 's/alice/alicia/' "$byid/1"; then ok "sed -i by-id/1: exit 0"; else
	not_ok "sed -i by-id/1: exit 0"; fi
expect "sed -i by-id/1: the row is updated" "1	alicia" "$(row 1)"
expect "sed -i: no temporary file is left or listed" "$(printf '.\n..\n1\n2\n3')" "$(listing "$byid")"
t sed -i 's/"x"/"ex"/; s/"score":3/"score":30/' "$tt/5"
expect "sed -i on a JSON row file of a table" '{"id":5,"name":"ex","score":30}' "$(t cat "$tt/5")"
t sed -i 's/neg/minus/' "$tt/-7"
expect "sed -i on a negative key" '{"id":-7,"name":"minus","score":1}' "$(t cat "$tt/-7")"
t sed -i 's/one/uno/' "$tv/1"
expect "sed -i on a one-value table's row file" "uno" "$(t cat "$tv/1")"
t sed -i 's/[a-z]$/&2/' "$byid/1" "$byid/2" "$byid/3"
expect "sed -i on three row files at once" "$(printf '1\talicia2\n2\tbob2\n3\tcarol2')" \
	"$(t cat "$mnt/rows")"
if t sed -i 's/.*/two words/' "$byid/2" 2>"$work/err"; then
	not_ok "sed -i to a name with a space: refused"
elif grep -q "$EINVAL" "$work/err"; then
	ok "sed -i to a name with a space: refused ($EINVAL)"
else
	not_ok "sed -i to a name with a space: refused ($EINVAL)" "$(cat "$work/err")"
fi
expect "... the row is unchanged" "2	bob2" "$(row 2)"
expect "... sed removed its temporary file" "$(printf '.\n..\n1\n2\n3')" "$(listing "$byid")"
t sed -i 's/"score":30/"score":"high"/' "$tt/5" 2>/dev/null
expect "sed -i to a wrong type in a table: row unchanged" '{"id":5,"name":"ex","score":30}' \
	"$(t cat "$tt/5")"

# ---- the file operations of a temporary file ----
tmp=$byid/.1.swp
if printf 'hello\n' >"$tmp"; then ok "create a temporary file"; else not_ok "create a temporary file"; fi
expect "read it back" "hello" "$(t cat "$tmp")"
expect "its size" 6 "$(t stat -c %s "$tmp")"
expect "a regular file, 0644" "-rw-r--r--" "$(t stat -c %A "$tmp")"
printf 'more\n' >>"$tmp"
expect "append (>>)" "$(printf 'hello\nmore')" "$(t cat "$tmp")"
t truncate -s 3 "$tmp"
expect "truncate -s 3" "hel" "$(t cat "$tmp")"
t truncate -s 5 "$tmp"
expect "truncate -s 5 extends with zero bytes" "68656c0000" "$(od -An -tx1 "$tmp" | tr -d ' \n')"
printf 'XY' | t dd of="$tmp" bs=1 seek=8 conv=notrunc 2>/dev/null
expect "dd seek=8: a gap of zeros, then the bytes" "68656c00000000005859" \
	"$(od -An -tx1 "$tmp" | tr -d ' \n')"
if t chmod 0600 "$tmp" && t chown "$(id -u):$(id -g)" "$tmp"; then
	ok "chmod and chown of a temporary file: accepted"
else
	not_ok "chmod and chown of a temporary file: accepted"
fi
fails_with "chmod of a row file: still EPERM" "$EPERM" t chmod 0600 "$byid/1"
expect "temporary files are not listed" "$(printf '.\n..\n1\n2\n3')" "$(listing "$byid")"
expect "find by-id -type f: rows only" 3 "$(t find "$byid" -type f | wc -l)"
t mv "$tmp" "$byid/other~"
expect "mv among temporary names" "gone 10" \
	"$(test -e "$tmp" && echo there || echo gone) $(t stat -c %s "$byid/other~")"
printf 'new\n' >"$byid/third~"
t mv "$byid/third~" "$byid/other~"
expect "mv over another temporary file replaces it" "new" "$(t cat "$byid/other~")"
if t rm "$byid/other~" && ! test -e "$byid/other~"; then ok "rm a temporary file"; else
	not_ok "rm a temporary file"; fi
fails_with "rm it again: ENOENT" "$ENOENT" t rm "$byid/other~"
fails_with "cat a temporary name that does not exist: ENOENT" "$ENOENT" t cat "$byid/nope.tmp"

# names that look like numbers are never temporary files
for bad in 012 +5 -5 4294967296; do
	fails_with "touch by-id/$bad: ENOENT (not a key, not a temporary name)" "$ENOENT" \
		t touch "$byid/$bad"
done
fails_with "touch tables/t/by-id/-0: ENOENT" "$ENOENT" t touch "$tt/-0"

# renames that stay refused
printf 'zed\n' >"$tt/zed.tmp"
fails_with "mv a temporary file to another directory's key: EPERM" "$EPERM" \
	t mv "$tt/zed.tmp" "$byid/9"
expect "... nothing inserted" "" "$(row 9)"
fails_with "mv a row file to a temporary name: EPERM" "$EPERM" t mv "$byid/1" "$byid/1.bak"
expect "... the row stays" "1	alicia2" "$(row 1)"
fails_with "mv a temporary file onto a bad key name: EPERM" "$EPERM" t mv "$tt/zed.tmp" "$tt/007"
t rm "$tt/zed.tmp"

# ---- Python: tempfile + os.replace, renameat2 ----
if command -v python3 >/dev/null 2>&1; then
	if t python3 - "$byid" "$tt" >"$work/out" 2>&1 <<'EOF'
import ctypes, errno, os, sys, tempfile
byid, tt = sys.argv[1], sys.argv[2]

def save(directory, key, text):
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False) as f:
        f.write(text)
    os.replace(f.name, os.path.join(directory, key))
    assert not os.path.exists(f.name), "the temporary name is gone"
    assert os.path.basename(f.name) not in os.listdir(directory)

save(byid, "3", "caroline\n")
assert open(os.path.join(byid, "3")).read() == "caroline\n"
save(byid, "40", "dave")                      # a new key: an insert, no newline needed
assert open(os.path.join(byid, "40")).read() == "dave\n"
save(tt, "6", '{"name":"py","score":6}\n')
assert open(os.path.join(tt, "6")).read() == '{"id":6,"name":"py","score":6}\n'

# a content that is not a row: EINVAL, the temporary file stays as it was
with tempfile.NamedTemporaryFile("w", dir=byid, delete=False) as f:
    f.write("a\nb\n")
try:
    os.replace(f.name, os.path.join(byid, "3"))
    raise SystemExit("two lines were accepted")
except OSError as e:
    assert e.errno == errno.EINVAL, e
assert open(f.name).read() == "a\nb\n"
os.unlink(f.name)

# renameat2 RENAME_NOREPLACE: EEXIST over a row, an insert otherwise
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, NOREPLACE = -100, 1
def renameat2(a, b, flags):
    if libc.renameat2(AT_FDCWD, a.encode(), AT_FDCWD, b.encode(), flags) != 0:
        return ctypes.get_errno()
    return 0
tmp = os.path.join(byid, "nr.tmp")
with open(tmp, "w") as f:
    f.write("erin\n")
assert renameat2(tmp, os.path.join(byid, "3"), NOREPLACE) == errno.EEXIST
assert open(os.path.join(byid, "3")).read() == "caroline\n"
assert renameat2(tmp, os.path.join(byid, "41"), NOREPLACE) == 0
assert open(os.path.join(byid, "41")).read() == "erin\n"
print("ok")
EOF
	then
		ok "python3: tempfile + os.replace (update, insert, table, EINVAL), renameat2 NOREPLACE"
	else
		not_ok "python3: tempfile + os.replace" "$(cat "$work/out")"
	fi
	expect "rows after python3" "$(printf '1\talicia2\n2\tbob2\n3\tcaroline\n40\tdave\n41\terin')" \
		"$(t cat "$mnt/rows")"

	# random pwrite / truncate / read on a temporary file, against a file of $work
	if t python3 - "$byid/model.tmp" "$work/model" >"$work/out" 2>&1 <<'EOF'
import os, random, sys
rng = random.Random(6900)
a = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
b = os.open(sys.argv[2], os.O_RDWR | os.O_CREAT, 0o600)
for step in range(400):
    op = rng.randrange(4)
    off = rng.randrange(70000)
    if op < 2:
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9000)))
        assert os.pwrite(a, data, off) == os.pwrite(b, data, off) == len(data)
    elif op == 2:
        os.ftruncate(a, off)
        os.ftruncate(b, off)
    n = rng.randrange(1, 20000)
    ra, rb = os.pread(a, n, off), os.pread(b, n, off)
    assert ra == rb, "step %d: pread(%d, %d) differs" % (step, n, off)
    assert os.fstat(a).st_size == os.fstat(b).st_size, "step %d: size" % step
    assert os.stat(sys.argv[1]).st_size == os.fstat(b).st_size, "step %d: stat" % step
os.close(a)
os.close(b)
assert open(sys.argv[1], "rb").read() == open(sys.argv[2], "rb").read()
os.unlink(sys.argv[1])
print("ok")
EOF
	then
		ok "400 random pwrite/ftruncate/pread on a temporary file = a file of the disk"
	else
		not_ok "random pwrite/ftruncate/pread = a file of the disk" "$(cat "$work/out")"
	fi
else
	skip "python3 not installed: tempfile + os.replace"
	skip "python3 not installed: rows after it"
	skip "python3 not installed: random pwrite/ftruncate/pread"
	printf 'insert 40 dave\ninsert 41 erin\nupdate 3 caroline\n' >"$ctl"
fi

# ---- vim (each one installed: vim.tiny, vim.basic, vim) ----
# vim_edits VIM: the row files edited by VIM, from known contents.
vim_edits() {
	v=$1
	printf 'update 3 caroline\nupdate 40 dave\n' >"$ctl"
	printf '%s\n' "update t set name = 'py' where id = 6" >"$ctl"
	if t "$v" -es -c '%s/caroline/carl/' -c wq "$byid/3" </dev/null >"$work/out" 2>&1; then
		ok "$v -es -c '%s/caroline/carl/' -c wq by-id/3: exit 0"
	else
		not_ok "$v -es ... by-id/3: exit 0" "$(cat "$work/out")"
	fi
	expect "... the row is updated" "3	carl" "$(row 3)"
	# backups by rename: vim's rename(2) of the row file is EPERM, so it
	# copies the row file to its backup and writes the row file anew
	t "$v" -es -N -u NONE -i NONE -c 'set backup backupcopy=no backupskip= backupdir=.' \
		-c '%s/dave/david/' -c wq "$byid/40" </dev/null >"$work/out" 2>&1
	expect "$v with backups by rename: the row is updated" "40	david" "$(row 40)"
	expect "... its backup by-id/40~ holds the old row" "dave" "$(t cat "$byid/40~")"
	expect "... and is not listed" "" "$(listing "$byid" | grep '~')"
	t rm "$byid/40~"
	t "$v" -es -N -u NONE -i NONE -c 'set writebackup nobackup backupcopy=yes backupskip=' \
		-c '%s/"py"/"vi"/' -c wq "$tt/6" </dev/null >"$work/out" 2>&1
	expect "$v with a write backup by copy on a table's row file" \
		'{"id":6,"name":"vi","score":6}' "$(t cat "$tt/6")"
	if [ ! -e "$tt/6~" ] && [ ! -e "$tt/.6.swp" ]; then
		ok "... no backup or swap file is left"
	else
		not_ok "... no backup or swap file is left"
	fi
}
vims=0
for v in vim.tiny vim.basic vim; do
	if command -v "$v" >/dev/null 2>&1; then
		vim_edits "$v"
		vims=$((vims + 1))
	fi
done
if [ "$vims" -eq 0 ]; then
	skip "vim not installed (scripts/deps.sh installs vim-tiny)"
	printf 'update 3 carl\nupdate 40 david\n' >"$ctl"
fi

# ---- rsync (a temporary .NAME.XXXXXX, then rename) ----
if command -v rsync >/dev/null 2>&1; then
	printf 'frank\n' >"$work/41"
	if t rsync "$work/41" "$byid/41" 2>"$work/err"; then
		expect "rsync FILE by-id/41: the row" "41	frank" "$(row 41)"
	else
		not_ok "rsync FILE by-id/41" "$(cat "$work/err")"
	fi
else
	skip "rsync not installed"
	printf 'update 41 frank\n' >"$ctl"
fi

# ---- truncate of a row file ----
size=$(t stat -c %s "$byid/1")
if t truncate -s "$size" "$byid/1"; then ok "truncate by-id/1 to its size ($size)"; else
	not_ok "truncate by-id/1 to its size ($size)"; fi
fails_with "truncate by-id/1 to another size: EINVAL" "$EINVAL" t truncate -s $((size - 1)) "$byid/1"
size=$(t stat -c %s "$tt/5")
if t truncate -s "$size" "$tt/5"; then ok "truncate a table's row file to its size"; else
	not_ok "truncate a table's row file to its size"; fi
expect "rows unchanged by truncates" "1	alicia2" "$(row 1)"

# ---- EBUSY while ctl holds the write transaction ----
printf 'gina\n' >"$byid/busy.tmp"
exec 3>"$ctl"
echo begin >&3
fails_with "rename over a row while ctl holds a transaction: EBUSY" "$EBUSY" \
	t mv "$byid/busy.tmp" "$byid/2"
echo rollback >&3
exec 3>&-
expect "... the temporary file stays" "gina" "$(t cat "$byid/busy.tmp")"
t mv "$byid/busy.tmp" "$byid/2"
expect "... and renames once the transaction is over" "2	gina" "$(row 2)"

# ---- gone at unmount ----
printf 'kept?\n' >"$byid/left.tmp"
printf 'kept?\n' >"$tt/left.tmp"
umount_rowfs || not_ok "unmount"
mount_rowfs -o tmp_memory=1m || not_ok "remount with -o tmp_memory=1m"
fails_with "a temporary file is gone after a remount" "$ENOENT" t cat "$byid/left.tmp"
fails_with "... in tables/T/by-id too" "$ENOENT" t cat "$tt/left.tmp"
expect "the rows are all there" \
	"$(printf '1\talicia2\n2\tgina\n3\tcarl\n40\tdavid\n41\tfrank')" \
	"$(t cat "$mnt/rows")"

# ---- the bound ----
fails_with "2 MiB into temporary files past -o tmp_memory=1m: ENOSPC" "$ENOSPC" \
	t dd if=/dev/zero of="$byid/big.tmp" bs=64k count=32 status=none
t rm -f "$byid/big.tmp"
if t dd if=/dev/zero of="$byid/big.tmp" bs=64k count=8 status=none &&
	[ "$(t stat -c %s "$byid/big.tmp")" -eq 524288 ]; then
	ok "after rm, 512 KiB fit again"
else
	not_ok "after rm, 512 KiB fit again"
fi
fails_with "truncate -s 2M: ENOSPC" "$ENOSPC" t truncate -s 2M "$byid/big.tmp"
t rm -f "$byid/big.tmp"
if command -v python3 >/dev/null 2>&1; then
	out=$(t python3 - "$byid" <<'EOF'
import errno, os, sys
d = sys.argv[1]
made = 0
try:
    for i in range(2000):
        open(os.path.join(d, "f%d.tmp" % i), "w").close()
        made += 1
except OSError as e:
    print(made, errno.errorcode[e.errno])
for i in range(made):
    os.unlink(os.path.join(d, "f%d.tmp" % i))
EOF
)
	expect "at most 1024 temporary files, then ENOSPC" "1024 ENOSPC" "$out"
else
	skip "python3 not installed: the file count"
fi
umount_rowfs || not_ok "unmount"

# ---- -o ro ----
mount_rowfs -o ro || not_ok "mount -o ro"
fails_with "-o ro: creating a temporary file is EROFS" "$EROFS" t touch "$byid/ro.tmp"
umount_rowfs || not_ok "unmount -o ro"

done_testing
