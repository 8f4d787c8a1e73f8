// Starts the app: imports the wasm-bindgen loader and instantiates the module. A file of its
// own (index.html names it and the module it loads) rather than an inline script, so the
// Content-Security-Policy in index.html allows scripts from this origin only.
// The app reads its draft from localStorage as it starts. The browser opens an origin's storage
// on its first use, a few milliseconds with the page waiting: do it now, while the module is
// still on its way, rather than inside the app's first render. (Storage may be blocked: the
// app then starts blank, as it would anyway.)
try {
  void localStorage.length;
} catch {}
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
