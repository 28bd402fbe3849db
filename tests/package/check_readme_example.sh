#!/bin/sh
# The C example in README.md compiles as C99 and runs against the library.
set -eu
src="$1"; lib="$2"; work="$3"
rm -rf "$work"; mkdir -p "$work"
awk '/^```c$/ {on=1; next} /^```$/ {on=0} on' "$src/README.md" > "$work/example.c"
test -s "$work/example.c"
cc -std=c99 -pedantic -Wall -Wextra -Werror -I"$src/include" "$work/example.c" -L"$(dirname "$lib")" -ltutorcore \
  -o "$work/example"
cd "$work"
LD_LIBRARY_PATH="$(dirname "$lib")" ./example > out1.txt
LD_LIBRARY_PATH="$(dirname "$lib")" ./example > out2.txt
grep -q '"new":\[true\]' out1.txt
grep -q '"new":\[false\]' out2.txt   # the replayed answer was not stored again
grep -q '"attempts":1' out2.txt
echo "README example compiled and ran"
