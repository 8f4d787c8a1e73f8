//! The web face's entry point, built by Trunk for wasm32 (see `index.html`).

#[cfg(target_arch = "wasm32")]
fn main() {
    tunnelsmith::web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("tunnelsmith-web is the browser app: build it with `make serve` (Trunk, wasm32).");
    std::process::exit(2);
}
