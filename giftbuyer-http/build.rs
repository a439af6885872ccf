//! Recompiles the crate when the web panel's build (`web/dist`) changes, so that the panel
//! embedded in the server is never older than the last `npm run build`.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // While the panel has not been built, watch the web folder for `dist` to appear; once it
    // exists, watch only `dist`, so that editing the panel's sources alone rebuilds nothing.
    if std::path::Path::new("../web/dist").exists() {
        println!("cargo:rerun-if-changed=../web/dist");
    } else {
        println!("cargo:rerun-if-changed=../web");
    }
}
