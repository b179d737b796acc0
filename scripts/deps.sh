#!/bin/sh
# Install what rowfs needs to build and test, from Debian's archive.
# Only packages that are missing are installed; needs root (or sudo).
set -eu
PKGS="build-essential autoconf automake libtool pkg-config libfuse3-dev fuse3 check libedit-dev
      clang sqlite3 python3 less util-linux procps"
# rowsh's interactive tests (t0180) drive it through tmux; script(1) is in
# bsdutils (essential)
PKGS="$PKGS tmux bsdutils"
# the everyday tools the mount tests run (t6900: vim -es and rsync saving row files)
PKGS="$PKGS vim-tiny rsync"
# man pages rendered without warnings (man-db, groff); the Debian packages
# (check.sh's last stage: scripts/package.sh)
PKGS="$PKGS man-db groff-base debhelper dpkg-dev"
# fuzzing (make fuzz): libFuzzer is in clang's runtime package; valgrind
# for make check-valgrind; cppcheck for check.sh's unused-function stage
PKGS="$PKGS libclang-rt-dev valgrind cppcheck"
# everyday tools the mount tests run on the mount (t6950: rsync, tar, tail)
PKGS="$PKGS rsync tar coreutils"
# systemd-analyze, for t1200's `systemd-analyze verify` of rowfs@.service
# (systemd need not run)
PKGS="$PKGS systemd"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
