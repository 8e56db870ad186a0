#!/usr/bin/env bash
# Build policy.js into out/policy.wasm (a WebAssembly component) with componentize-js,
# against the contract in wit/. componentize-js is installed on first use from npm under
# $BATON_TOOLS (default ~/.cache/baton/tools); it needs Node 18 or later. HTTP is disabled:
# a policy gets no network. Set BATON_BUILD_CACHE to a folder to reuse components by hash.
set -euo pipefail
cd "$(dirname "$0")"
version=0.23.0
world={{world}}-policy
tools="${BATON_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/baton/tools}/componentize-js-$version"
bin="$tools/node_modules/.bin/componentize-js"
key="$( (echo "componentize-js $version $world"; cat wit/*.wit policy.js) | sha256sum | cut -c1-32)"
cached="${BATON_BUILD_CACHE:+$BATON_BUILD_CACHE/js-$key.wasm}"
mkdir -p out
if [ -n "$cached" ] && [ -f "$cached" ]; then
  cp "$cached" out/policy.wasm.tmp
else
  if [ ! -x "$bin" ]; then
    echo "installing componentize-js $version into $tools" >&2
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-audit --no-fund --loglevel=error \
      "@bytecodealliance/componentize-js@$version" >&2
  fi
  "$bin" --wit wit --world-name "$world" --disable http fetch-event \
    -o out/policy.wasm.tmp policy.js >/dev/null
  if [ -n "$cached" ]; then mkdir -p "$BATON_BUILD_CACHE" && cp out/policy.wasm.tmp "$cached"; fi
fi
mv out/policy.wasm.tmp out/policy.wasm
echo "built $(pwd)/out/policy.wasm"
