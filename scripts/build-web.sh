#!/usr/bin/env bash
# Builds the web face's main module into Trunk's staging directory: Trunk runs this as its
# post_build hook (Trunk.toml), after it has written index.html. index.html names the module's
# folder as @WEB@; this replaces it with `web-<hash>` (the hash of what is in it, so a new build is
# never served from a stale cache).
#
# Release (`trunk build --release`, `trunk serve --release`): the module is split where the code
# says `#[leptos::lazy]` (cargo feature `split`; docs/PERFORMANCE.md). The steps are the ones
# cargo-leptos takes for `--split`:
#   1. cargo build, linked with --emit-relocs (wasm-split needs the relocations)
#   2. wasm-split-cli: the main module, one .wasm per split point (and shared chunks), and
#      __wasm_split.js, which fetches a chunk and instantiates it against the main module's memory
#      and function table when the code first awaits it
#   3. wasm-bindgen on the main module (--target web, as Trunk would)
#   4. wasm-opt -Oz on every .wasm (npm binaryen 132, as Trunk would), except that a function
#      larger than 100 (binaryen's size units) is no longer inlined into its only caller: the
#      browser compiles a function whole on its first call, so a merged giant costs start-up
#      time for branches that never run (check::analyze, docs/PERFORMANCE.md)
#   5. scripts/bundle-js.mjs: the JS glue, its snippet and the chunk loader as one minified file
#      (each module of the loader's import graph is a request the page load waits for)
# Both builds: public/style.css goes into index.html (scripts/inline-css.mjs).
# Debug (`trunk build` / `trunk serve` without --release): one unsplit module, no wasm-opt.
#
# Trunk cannot run a tool between cargo and wasm-bindgen, which the split needs, hence this hook;
# index.html keeps a skipped `rel="rust"` link for the module so Trunk does not build a default one.
set -euo pipefail

staging="${TRUNK_STAGING_DIR:?run by trunk (Trunk.toml hooks)}"
source_dir="${TRUNK_SOURCE_DIR:-.}"
cd "$source_dir"

target=wasm32-unknown-unknown
work="target/web-build"
rm -rf "$work"
mkdir -p "$work/split" "$work/out"

if [[ "${TRUNK_PROFILE:-debug}" == "release" ]]; then
  # Its own target dir: its flags would otherwise rebuild every crate of target/'s wasm32 builds
  # (Trunk's generators module, the wasm-bindgen tests) each time. RUSTFLAGS replaces
  # .cargo/config.toml's flags for this build: the link flag, and no `--cfg erase_components`.
  # Split, the main module is smaller with Leptos' concrete view types than with erased ones, and
  # its first render is faster (docs/PERFORMANCE.md); the erased types stay for the debug and test
  # builds, which compile faster with them.
  RUSTFLAGS="-Clink-args=--emit-relocs" \
    cargo build --offline --locked --target "$target" --profile wasm-release \
    --bin tunnelsmith-web --features split --target-dir target/split
  wasm-split-cli --target web --out-name tunnelsmith-web \
    "target/split/$target/wasm-release/tunnelsmith-web.wasm" "$work/split"
  # --keep-lld-exports: the chunks import the function table the linker exported.
  wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir "$work/out" "$work/split/tunnelsmith-web.wasm"
  cp "$work/split/__wasm_split.js" "$work/out/"
  for chunk in "$work/split"/*.wasm; do
    [[ "$(basename "$chunk")" == tunnelsmith-web.wasm ]] || cp "$chunk" "$work/out/"
  done
  for wasm in "$work/out"/*.wasm; do
    wasm-opt -Oz --one-caller-inline-max-function-size 100 \
      --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types -o "$wasm.opt" "$wasm"
    mv "$wasm.opt" "$wasm"
  done
  node scripts/bundle-js.mjs "$work/out/tunnelsmith-web.js"
else
  cargo build --offline --locked --target "$target" --bin tunnelsmith-web
  wasm-bindgen --target web --no-typescript --out-dir "$work/out" "target/$target/debug/tunnelsmith-web.wasm"
fi

hash="$(cd "$work/out" && find . -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-16)"
dir="web-$hash"
rm -rf "${staging:?}/$dir"
cp -r "$work/out" "$staging/$dir"
# Any other JS file of the folder (the debug build's snippets; the release build has one file) is
# a static import of the main module's JS: preloaded, so the browser fetches it with the module
# rather than after parsing it.
preloads=""
while IFS= read -r js; do
  [[ "$js" == ./tunnelsmith-web.js ]] && continue
  preloads+="<link rel=\"modulepreload\" href=\"/$dir/${js#./}\" />"
done < <(cd "$staging/$dir" && find . -name '*.js' | LC_ALL=C sort)
# The folder's name in, the preloads before </head>, Trunk's skipped link (index.html) out.
sed -i -E -e "s|@WEB@|/$dir|g" -e "s|</head>|$preloads</head>|" \
  -e 's/<link[^>]*data-trunk-skip[^>]*>//' "$staging/index.html"
if grep -q '@WEB@' "$staging/index.html"; then
  echo "build-web.sh: @WEB@ left in $staging/index.html" >&2
  exit 1
fi
# The stylesheet into the page, allowed by its hash (one request fewer before the app starts).
node scripts/inline-css.mjs
echo "build-web.sh: $dir: $(cd "$staging/$dir" && echo *)"
