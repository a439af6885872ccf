//! Where the master key comes from: `GIFTBUYER_MASTER_KEY`, or a key file in the data directory
//! that is created, readable by its owner only, on the first start.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::crypto::MasterKey;
use crate::error::KeyError;

/// The environment variable that holds the master key (hex or base64).
pub const MASTER_KEY_ENV: &str = "GIFTBUYER_MASTER_KEY";

/// The key file's name in the data directory.
pub const DEFAULT_KEY_FILE: &str = "master.key";

/// Where a master key was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    Env,
    /// An existing key file.
    File(PathBuf),
    /// A key file created now, because none existed.
    Created(PathBuf),
}

/// Loads the master key: from `GIFTBUYER_MASTER_KEY` when it is set and not empty, otherwise
/// from `key_file`, which is created with a new random key (mode 0600) when it does not exist.
pub fn load_master_key(key_file: &Path) -> Result<(MasterKey, KeyOrigin), KeyError> {
    let env = std::env::var(MASTER_KEY_ENV).ok();
    load_master_key_from(env.as_deref(), key_file)
}

/// [`load_master_key`] with the environment variable's value passed in, so that callers and
/// tests need not change the process environment.
pub fn load_master_key_from(
    env_value: Option<&str>,
    key_file: &Path,
) -> Result<(MasterKey, KeyOrigin), KeyError> {
    if let Some(value) = env_value.filter(|value| !value.trim().is_empty()) {
        let key = MasterKey::parse(value).map_err(|e| KeyError::Env(Box::new(e)))?;
        return Ok((key, KeyOrigin::Env));
    }
    match read_key_file(key_file) {
        Ok(key) => Ok((key, KeyOrigin::File(key_file.to_owned()))),
        Err(KeyError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate()?;
            match write_key_file(key_file, &key) {
                Ok(()) => Ok((key, KeyOrigin::Created(key_file.to_owned()))),
                // Another process created the file first: use its key, never a second one.
                Err(KeyError::Create { source, .. })
                    if source.kind() == std::io::ErrorKind::AlreadyExists =>
                {
                    Ok((
                        read_key_file(key_file)?,
                        KeyOrigin::File(key_file.to_owned()),
                    ))
                }
                Err(error) => Err(error),
            }
        }
        Err(error) => Err(error),
    }
}

/// Reads a key file, refusing one that other users can read.
pub fn read_key_file(path: &Path) -> Result<MasterKey, KeyError> {
    let read_error = |source| KeyError::Read {
        path: path.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(read_error)?;
    check_private(path, &metadata)?;
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(read_error)?);
    MasterKey::parse(&text).map_err(|e| KeyError::File {
        path: path.to_owned(),
        source: Box::new(e),
    })
}

#[cfg(unix)]
fn check_private(path: &Path, metadata: &std::fs::Metadata) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _metadata: &std::fs::Metadata) -> Result<(), KeyError> {
    Ok(())
}

/// Writes `key` to a new file at `path`, readable and writable by the owner only; an existing
/// file is never overwritten (`AlreadyExists`).
///
/// The key is written to a temporary file first and then hard-linked into place, so the key
/// file appears complete or not at all, even when two processes start at once or the machine
/// stops mid-write.
pub fn write_key_file(path: &Path, key: &MasterKey) -> Result<(), KeyError> {
    let create_error = |source| KeyError::Create {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        create_private_dir(dir).map_err(create_error)?;
    }
    let file_name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = private_options().open(&temp)?;
        let text = key.to_hex();
        file.write_all(text.expose().as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::hard_link(&temp, path)
    })();
    // The temporary name is removed whatever happened; the key file, if linked, stays.
    let _ = std::fs::remove_file(&temp);
    result.map_err(create_error)
}

#[cfg(unix)]
fn private_options() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn private_options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    options
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_key_file_once_and_reads_it_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("data").join(DEFAULT_KEY_FILE);
        let (created, origin) = load_master_key_from(None, &path).expect("create");
        assert_eq!(origin, KeyOrigin::Created(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, origin) = load_master_key_from(Some("  "), &path).expect("read");
        assert_eq!(origin, KeyOrigin::File(path.clone()));
        assert_eq!(again.fingerprint(), created.fingerprint());
        assert!(matches!(
            write_key_file(&path, &created),
            Err(KeyError::Create { .. })
        ));
        let leftovers = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .count();
        assert_eq!(leftovers, 1, "only the key file remains");
    }

    #[test]
    fn the_environment_wins_and_is_validated() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DEFAULT_KEY_FILE);
        let hex_key = "11".repeat(32);
        let (key, origin) = load_master_key_from(Some(&hex_key), &path).expect("env");
        assert_eq!(origin, KeyOrigin::Env);
        assert_eq!(key.to_hex().expose(), &hex_key);
        assert!(
            !path.exists(),
            "no key file is created when the environment has the key"
        );
        let error = load_master_key_from(Some("short"), &path).expect_err("bad");
        assert!(
            error
                .to_string()
                .starts_with("GIFTBUYER_MASTER_KEY is not a valid master key"),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn refuses_a_key_file_others_can_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(DEFAULT_KEY_FILE);
        std::fs::write(&path, "22".repeat(32)).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let error = read_key_file(&path).expect_err("too open");
        assert!(
            matches!(error, KeyError::Permissions { mode: 0o644, .. }),
            "{error}"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(read_key_file(&path).is_ok());
        std::fs::write(&path, "garbage").expect("write");
        let error = read_key_file(&path).expect_err("garbage");
        assert!(
            error.to_string().contains("is not a valid master key"),
            "{error}"
        );
    }
}
