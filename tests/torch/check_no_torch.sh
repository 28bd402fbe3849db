#!/bin/sh
# The core does not depend on libtorch: libtutorcore.so needs no torch or
# c10 library, directly (NEEDED) or through its dependencies (ldd), and
# neither it nor the static engine library refers to a torch symbol. The
# TorchScript backend lives in libtutorcore_torch.so, opened with dlopen.
set -eu
lib="$1"
core="$2"
needed=$(readelf -d "$lib" | awk '/NEEDED/ {gsub(/[][]/, "", $5); print $5}' | tr '\n' ' ')
bad=""
# Library names only: ldd's load addresses are hex and may contain "c10".
if echo "$needed" | tr ' ' '\n' | grep -q -E '^lib(torch|c10|caffe2)'; then
  bad="$bad NEEDED: $needed;"
fi
deps=$(ldd "$lib" | awk '{print $1}' | grep -E '(^|/)lib(torch|c10|caffe2)' || true)
if [ -n "$deps" ]; then
  bad="$bad ldd: $deps;"
fi
syms=$( (nm -D --undefined-only "$lib"; nm --undefined-only "$core" 2>/dev/null) | grep -E ' U _ZNK?(3c10|2at|5torch)[0-9]' || true)
if [ -n "$syms" ]; then
  bad="$bad undefined torch symbols: $(echo "$syms" | head -3);"
fi
if [ -n "$bad" ]; then
  echo "libtutorcore depends on torch:$bad"
  exit 1
fi
echo "$(basename "$lib") needs $needed- no torch, c10 or caffe2 library or symbol"
