#!/bin/sh
# Installs the build into a staging prefix, then builds and runs a consumer
# with find_package(tutorcore) and with pkg-config.
set -eu
build="$1"; src="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
prefix="$work/prefix"
cmake --install "$build" --prefix "$prefix" > "$work/install.log"
test -f "$prefix/include/tutorcore/tutorcore.h"
ls "$prefix"/lib*/libtutorcore.so.0 > /dev/null 2>&1 || ls "$prefix"/lib/*/libtutorcore.so.0 > /dev/null

cmake -S "$src/tests/package/consumer" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" > "$work/cfg.log"
cmake --build "$work/cmake-build" > "$work/build.log"
libdir=$(dirname "$(find "$prefix" -name 'libtutorcore.so.0' | head -n 1)")
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer"

pcdir=$(dirname "$(find "$prefix" -name tutorcore.pc | head -n 1)")
export PKG_CONFIG_PATH="$pcdir"
pkg-config --exists tutorcore
test "$(pkg-config --modversion tutorcore)" = "$(sed -n 's/^#define TC_VERSION_MAJOR \([0-9]*\)/\1/p' "$src/include/tutorcore/tutorcore.h").$(sed -n 's/^#define TC_VERSION_MINOR \([0-9]*\)/\1/p' "$src/include/tutorcore/tutorcore.h").$(sed -n 's/^#define TC_VERSION_PATCH \([0-9]*\)/\1/p' "$src/include/tutorcore/tutorcore.h")"
cc -std=c99 -pedantic -Wall -Wextra -Werror "$src/tests/package/consumer/consumer.c" \
  $(pkg-config --cflags --libs tutorcore) -o "$work/consumer-pc"
LD_LIBRARY_PATH="$libdir" "$work/consumer-pc"
echo "find_package and pkg-config consumers built and ran against $prefix"
