//! `giftbuyer migrate` and `giftbuyer rotate-key`: database maintenance.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use giftbuyer_store::{MASTER_KEY_ENV, MasterKey};

/// Where the server keeps its database and key unless told otherwise.
pub(crate) const DEFAULT_DATABASE_URL: &str = "sqlite://data/giftbuyer.db";
pub(crate) const DEFAULT_KEY_FILE: &str = "data/master.key";

#[derive(Debug, clap::Args)]
pub(crate) struct MigrateArgs {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
}

#[derive(Debug, clap::Args)]
pub(crate) struct RotateKeyArgs {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    database_url: String,
    /// The master key file, used unless `GIFTBUYER_MASTER_KEY` is set.
    #[arg(long, env = "GIFTBUYER_KEY_FILE", default_value = DEFAULT_KEY_FILE)]
    key_file: PathBuf,
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub(crate) fn migrate(args: &MigrateArgs) -> anyhow::Result<()> {
    let report = runtime()?
        .block_on(giftbuyer_store::migrate(&args.database_url))
        .context("migration failed")?;
    if report.applied.is_empty() {
        println!("the schema is up to date (version {})", report.version);
    } else {
        let applied: Vec<String> = report.applied.iter().map(ToString::to_string).collect();
        println!(
            "applied migrations {}; the schema is at version {}",
            applied.join(", "),
            report.version
        );
    }
    Ok(())
}

/// Re-encrypts every secret under a new master key. Run it with every server instance
/// stopped. The new key is written next to the old one before the database changes, so that a
/// failure at any point leaves a key that opens the database.
pub(crate) fn rotate_key(args: &RotateKeyArgs) -> anyhow::Result<()> {
    let from_env = std::env::var(MASTER_KEY_ENV)
        .ok()
        .filter(|value| !value.trim().is_empty());
    let old = match &from_env {
        Some(value) => MasterKey::parse(value)
            .with_context(|| format!("{MASTER_KEY_ENV} does not hold a valid key"))?,
        None => giftbuyer_store::read_key_file(&args.key_file).with_context(|| {
            format!("rotate-key needs the current key ({MASTER_KEY_ENV} or --key-file)")
        })?,
    };
    let new = MasterKey::generate().context("cannot generate a new key")?;
    let pending = pending_path(&args.key_file);
    if from_env.is_none() {
        giftbuyer_store::write_key_file(&pending, &new)
            .with_context(|| format!("cannot write the new key to {}", pending.display()))?;
    }
    let result = runtime()?.block_on(giftbuyer_store::rotate_master_key(
        &args.database_url,
        old,
        &new,
    ));
    let report = match result {
        Ok(report) => report,
        Err(error) => {
            // The database still uses the old key, so the new one must not replace it.
            if from_env.is_none() {
                let _ = std::fs::remove_file(&pending);
            }
            return Err(error).context("key rotation failed; the database still uses the old key");
        }
    };
    if from_env.is_none() {
        std::fs::rename(&pending, &args.key_file).with_context(|| {
            format!(
                "the database now uses the key in {}; move it to {} by hand",
                pending.display(),
                args.key_file.display()
            )
        })?;
        println!("the new key is in {}", args.key_file.display());
    } else {
        println!(
            "set {MASTER_KEY_ENV} to this new key on every instance (it is shown only once):\n{}",
            new.to_hex().expose()
        );
    }
    for (column, count) in &report.columns {
        println!("re-encrypted {count} values of {column}");
    }
    println!(
        "key {} replaced by {}",
        report.old_fingerprint, report.new_fingerprint
    );
    Ok(())
}

fn pending_path(key_file: &Path) -> PathBuf {
    let mut name = key_file.as_os_str().to_owned();
    name.push(".new");
    PathBuf::from(name)
}
