//! Configuration: flags, then `YUNWEI_…` environment variables, then an optional TOML file,
//! then defaults.

use std::path::PathBuf;

use clap::Args;
use serde::Deserialize;

/// Where the data lives; shared by every command.
#[derive(Args, Clone)]
pub struct StoreArgs {
    /// Data directory (SQLite database, …) [env: YUNWEI_DATA_DIR] [default: ./yunwei-data]
    #[arg(long, env = "YUNWEI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [env: YUNWEI_DATABASE_URL]
    /// [default: SQLite inside the data directory]
    #[arg(long, env = "YUNWEI_DATABASE_URL")]
    pub database_url: Option<String>,
    /// TOML file with any of: data_dir, database_url, listen, log_format, max_attachment_mb
    #[arg(long, env = "YUNWEI_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    listen: Option<String>,
    log_format: Option<String>,
    max_attachment_mb: Option<usize>,
}

/// The settings in force.
pub struct Settings {
    pub data_dir: PathBuf,
    pub database_url: String,
    pub listen: String,
    /// `text` (default) or `json`.
    pub log_format: String,
    pub max_attachment_mb: usize,
}

impl Settings {
    pub fn load(args: &StoreArgs, listen: Option<String>) -> Result<Settings, String> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str::<File>(&text).map_err(|e| format!("{}: {e}", path.display()))?
            }
            None => File::default(),
        };
        let data_dir = args.data_dir.clone().or(file.data_dir).unwrap_or_else(|| PathBuf::from("yunwei-data"));
        let database_url = match args.database_url.clone().or(file.database_url) {
            Some(url) => url,
            None => {
                std::fs::create_dir_all(&data_dir)
                    .map_err(|e| format!("cannot create data directory {}: {e}", data_dir.display()))?;
                format!("sqlite://{}", data_dir.join("yunwei.db").display())
            }
        };
        let log_format = std::env::var("YUNWEI_LOG_FORMAT").ok().or(file.log_format).unwrap_or_else(|| "text".into());
        if !matches!(log_format.as_str(), "text" | "json") {
            return Err(format!("log_format must be text or json, not {log_format:?}"));
        }
        Ok(Settings {
            data_dir,
            database_url,
            listen: listen.or(file.listen).unwrap_or_else(|| "127.0.0.1:8080".into()),
            log_format,
            max_attachment_mb: file.max_attachment_mb.unwrap_or(10),
        })
    }
}

/// Structured logs on standard error; `RUST_LOG` filters (default `info`).
pub fn init_logging(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    if settings.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}
