//! Reading a command's input file (or standard input) and writing its output.

use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::Context as _;

/// Reads `path`, or standard input for `-`. Returns how to name the source in messages, and
/// the text.
pub(crate) fn read_input(path: &Path) -> anyhow::Result<(String, String)> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read standard input")?;
        return Ok(("standard input".to_owned(), text));
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok((path.display().to_string(), text))
}

/// Writes the whole output to standard output.
pub(crate) fn write_stdout(output: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(output.as_bytes())
        .and_then(|()| stdout.flush())
        .context("cannot write to standard output")
}
