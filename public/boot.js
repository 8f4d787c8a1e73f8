// Starts the app: imports the wasm-bindgen loader and instantiates the module. A file of its
// own (index.html names it and the module it loads) rather than an inline script, so the
// Content-Security-Policy in index.html allows scripts from this origin only.
const tag = document.querySelector('script[data-js][data-wasm]');
const { default: init } = await import(tag.dataset.js);
const app = await init({ module_or_path: tag.dataset.wasm });
// For `make bench` and the curious: the bytes of every wasm memory in the page (the app's, and
// the file generators' once loaded) and the JS heap (Chromium only).
(globalThis.tunnelsmithMemories ||= []).unshift(app.memory);
globalThis.tunnelsmithMemory = () => ({
  wasm: globalThis.tunnelsmithMemories.reduce((n, m) => n + m.buffer.byteLength, 0),
  js: performance.memory ? performance.memory.usedJSHeapSize : null,
});
