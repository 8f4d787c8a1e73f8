// Starts the app: imports the wasm-bindgen loader and instantiates the module. A file of its
// own (Trunk.toml's pattern_script points here) rather than Trunk's inline loader, so the
// Content-Security-Policy in index.html allows scripts from this origin only.
const tag = document.querySelector('script[data-js][data-wasm]');
const { default: init } = await import(tag.dataset.js);
await init({ module_or_path: tag.dataset.wasm });
