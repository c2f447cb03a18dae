//! Entry point of the WebAssembly app: Trunk builds this binary and calls `main` on load.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(arobase::App);
    // index.html's static shell stays until the page's heading is drawn (components/page_heading.rs).
    arobase::chunks::prefetch_chunks();
}
