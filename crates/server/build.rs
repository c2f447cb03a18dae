// `sqlx::migrate!` embeds the SQL files at compile time, a dependency cargo cannot see by itself:
// without this, adding a migration would not rebuild the server and the new file would be missed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
