//! Link settings of the component: the initial size of its linear memory.

/// Initial linear memory of the component, bytes (64 KiB pages): large enough that
/// answering a request does not grow it, so the runtime's reused instance slot keeps
/// its mapping between requests instead of changing page protection twice per request.
const INITIAL_MEMORY_BYTES: u32 = 4 << 20;

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg-cdylib=--initial-memory={INITIAL_MEMORY_BYTES}");
    }
}
