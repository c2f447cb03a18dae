//! Entry point of the WebAssembly app: Trunk builds this binary and calls `main` on load.

fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(arobase::App);
    // The static shell of index.html stood in while the module loaded; the app replaces it.
    if let Some(shell) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app-shell"))
    {
        shell.remove();
    }
    arobase::chunks::prefetch_chunks();
}
