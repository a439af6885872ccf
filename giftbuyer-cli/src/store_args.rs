//! Where the server's data lives: `--database-url`, `--data-dir` and `--key-file`, shared by
//! `serve` and `account`, and opening the store from them.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use giftbuyer_store::{KeyOrigin, MASTER_KEY_ENV, Store};

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct StoreArgs {
    /// `sqlite://PATH` or `postgres://USER@HOST/DB`; default `sqlite://<data-dir>/giftbuyer.db`.
    #[arg(long, env = "DATABASE_URL")]
    pub(crate) database_url: Option<String>,
    /// Where the database and the master key file live.
    #[arg(long, env = "GIFTBUYER_DATA_DIR", default_value = "data")]
    pub(crate) data_dir: PathBuf,
    /// The master key file, used unless `GIFTBUYER_MASTER_KEY` is set; default
    /// `<data-dir>/master.key`, created on first start.
    #[arg(long, env = "GIFTBUYER_KEY_FILE")]
    pub(crate) key_file: Option<PathBuf>,
}

impl StoreArgs {
    /// Opens the store (creating the data directory, the database and the master key as
    /// needed). Returns where the key came from, so that a caller can warn about a new one.
    pub(crate) async fn open(&self) -> anyhow::Result<(Store, KeyOrigin)> {
        create_private_dir(&self.data_dir)?;
        let key_file = self.key_file();
        let (key, origin) =
            giftbuyer_store::load_master_key(&key_file).context("cannot load the master key")?;
        let store = Store::connect(&self.database_url(), key)
            .await
            .context("cannot open the database")?;
        Ok((store, origin))
    }

    /// Opens the store of a server that already ran: without a master key (in the
    /// environment or the key file) there is nothing to read, and a new key would make the
    /// secrets already stored unreadable, so none is created.
    pub(crate) async fn open_existing(&self) -> anyhow::Result<Store> {
        let key_file = self.key_file();
        let from_env = std::env::var(MASTER_KEY_ENV).is_ok_and(|value| !value.trim().is_empty());
        if !from_env && !key_file.exists() {
            anyhow::bail!(
                "no master key in {} and {MASTER_KEY_ENV} is not set: point --data-dir or \
                 --key-file at the server's data, or start the server once",
                key_file.display()
            );
        }
        let (store, _) = self.open().await?;
        Ok(store)
    }

    fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("giftbuyer.db").display()))
    }

    fn key_file(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("master.key"))
    }
}

/// The warning for a master key created now.
pub(crate) const NEW_KEY_WARNING: &str =
    "created a new master key; back it up: without it the stored secrets cannot be read";

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))
    }
    #[cfg(not(unix))]
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))
    }
}
