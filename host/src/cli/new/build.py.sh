#!/usr/bin/env bash
# Build policy.py into out/policy.wasm (a WebAssembly component) with componentize-py,
# against the contract in wit/. componentize-py is installed on first use into a venv under
# $BATON_TOOLS (default ~/.cache/baton/tools). The generated bindings, for an editor, go to
# out/bindings/. Set BATON_BUILD_CACHE to a folder to reuse components by source hash.
set -euo pipefail
cd "$(dirname "$0")"
version=0.25.1
world={{world}}-policy
tools="${BATON_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/baton/tools}"
venv="$tools/componentize-py-$version"
key="$( (echo "componentize-py $version $world"; cat wit/*.wit policy.py) | sha256sum | cut -c1-32)"
cached="${BATON_BUILD_CACHE:+$BATON_BUILD_CACHE/python-$key.wasm}"
mkdir -p out
if [ -n "$cached" ] && [ -f "$cached" ]; then
  cp "$cached" out/policy.wasm.tmp
else
  if [ ! -x "$venv/bin/componentize-py" ]; then
    echo "installing componentize-py $version into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "componentize-py==$version"
  fi
  # Bindings for an editor, replaced whole (componentize-py refuses to write over them).
  rm -rf out/bindings
  "$venv/bin/componentize-py" -d wit -w "$world" bindings out/bindings >/dev/null
  "$venv/bin/componentize-py" -d wit -w "$world" componentize -p . policy \
    -o out/policy.wasm.tmp >/dev/null
  if [ -n "$cached" ]; then mkdir -p "$BATON_BUILD_CACHE" && cp out/policy.wasm.tmp "$cached"; fi
fi
mv out/policy.wasm.tmp out/policy.wasm
echo "built $(pwd)/out/policy.wasm"
