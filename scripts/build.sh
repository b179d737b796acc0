#!/bin/sh
# Configure and build rowfs out of tree: scripts/build.sh BUILDDIR [configure args...]
# The developer's build: warnings are errors (--enable-werror) unless the
# arguments say --disable-werror.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1
shift
# autoreconf when configure is missing, or predates libtool (ltmain.sh)
[ -x "$top/configure" ] && [ -f "$top/build-aux/ltmain.sh" ] || (cd "$top" && autoreconf -fi)
mkdir -p "$dir"
cd "$dir"
[ -f Makefile ] || "$top/configure" -q --enable-werror "$@"
make -j"$(nproc)" >/dev/null
