#!/bin/sh
# The shared library exports the tc_ C API and nothing else.
set -eu
lib="$1"
bad=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -v '^tc_' | grep -v '^$' || true)
count=$(nm -D --defined-only "$lib" | awk '{print $3}' | grep -c '^tc_' || true)
if [ -n "$bad" ]; then
  echo "symbols outside the tc_ C API are exported from $lib:"
  echo "$bad"
  exit 1
fi
if [ "$count" -lt 10 ]; then
  echo "only $count tc_ symbols exported from $lib"
  exit 1
fi
soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
case "$soname" in
  libtutorcore.so.[0-9]*) ;;
  *) echo "SONAME '$soname' is not versioned"; exit 1 ;;
esac
echo "$count tc_ symbols exported, none else; SONAME $soname"
