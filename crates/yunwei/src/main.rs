#![recursion_limit = "512"]
//! `yunwei`: the one binary. `serve` runs the web UI, API and background work; `migrate`,
//! `user` and `token` manage an installation from the command line; `import` loads CIs and
//! relationships from a spreadsheet.

mod config;
mod demo;
mod estate;
mod generate;
mod generate_cmdb;
mod rng;

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tokio::net::TcpListener;
use yunwei_cmdb::rules::import::ImportKind;
use yunwei_cmdb::store::import as cmdb_import;
use yunwei_db::Store;
use yunwei_desk::store::categories;
use yunwei_desk::store::search;
use yunwei_desk::store::sla;
use yunwei_org::tenants;
use yunwei_org::users;
use yunwei_web::ServerConfig;
use yunwei_web::ui::i18n::Locale;
use yunwei_web::{AppState, Module};

use crate::config::{Settings, StoreArgs};

/// mimalloc, for Rust and (through the `override` feature) for SQLite's C code too. With the C
/// library's malloc, memory freed on another thread than the one that took it (a ticket built
/// on the intake's thread, answered on a request's) queues on a lock of that thread's arena:
/// the intake's thread spent a good share of its time asleep on those locks, and creating
/// tickets on SQLite went from about 2,900 to 3,500 a second with mimalloc. `no_thp` keeps it
/// from asking for transparent huge pages, which made the idle process 13 MB larger.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "yunwei", version, about = "Yunwei 运维: IT service management in one binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web UI, the API and background work.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on [env: YUNWEI_LISTEN] [default: 127.0.0.1:8080]
        #[arg(long, env = "YUNWEI_LISTEN")]
        listen: Option<String>,
        /// Fill a new, empty installation with a bilingual demo data set and print how to log in.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations and exit.
    Migrate {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Fill an empty installation with a large generated data set for benchmarks (tickets
    /// over several years with their history and SLA clocks), written in bulk.
    Generate {
        /// How many tickets.
        #[arg(long, default_value_t = 1_000_000)]
        tickets: u64,
        /// Over how many years up to now.
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// How many client organisations.
        #[arg(long, default_value_t = 20)]
        tenants: usize,
        /// End users per client organisation.
        #[arg(long, default_value_t = 250)]
        users_per_tenant: usize,
        /// Seed: the same seed gives the same data set.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Configuration items in the CMDB.
        #[arg(long, default_value_t = 100_000)]
        cis: u64,
        /// Relationships between them.
        #[arg(long, default_value_t = 500_000)]
        relationships: u64,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Import CIs, relationships or assets of one organisation from a CSV (UTF-8 or GBK) or
    /// Excel file: each row is matched to an existing CI (an asset by its tag, then its serial
    /// number) and inserted, updated or left unchanged; all rows are stored or, when any row
    /// is an error, none.
    Import {
        /// What the file holds.
        #[arg(value_enum)]
        kind: ImportKindArg,
        /// The file: .csv or .xlsx.
        file: std::path::PathBuf,
        /// Code of the organisation the CIs or assets belong to.
        #[arg(long)]
        tenant: String,
        /// Check every row and store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Act as this user (default: the first active administrator).
        #[arg(long = "as", value_name = "LOGIN")]
        as_login: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ImportKindArg {
    Cis,
    Relationships,
    Assets,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input (one line).
    Create {
        login: String,
        #[arg(long, default_value = "admin")]
        role: String,
        /// Display name (defaults to the login).
        #[arg(long)]
        name: Option<String>,
        /// Code of the user's organisation (defaults to the provider for staff).
        #[arg(long)]
        tenant: Option<String>,
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user and print it on standard output.
    Create {
        login: String,
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("yunwei: {e}");
            ExitCode::FAILURE
        }
    }
}

type Fallible<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// Opens the store and brings its schema and default data up to date.
async fn open(settings: &Settings) -> Fallible<Store> {
    let store = Store::connect(&settings.database_url).await?;
    store.migrate().await?;
    let mut tx = store.write().await?;
    categories::seed_defaults(&mut tx).await?;
    tenants::provider(&mut tx).await?;
    sla::seed_defaults(&mut tx).await?;
    tx.commit().await?;
    let indexed = search::backfill(&store).await?;
    if indexed > 0 {
        tracing::info!(tickets = indexed, "indexed existing tickets for full-text search");
    }
    Ok(store)
}

async fn run(cli: Cli) -> Fallible {
    match cli.command {
        Command::Serve { store, listen, demo } => {
            let settings = Settings::load(&store, listen)?;
            config::init_logging(&settings);
            serve(settings, demo).await
        }
        Command::Migrate { store } => {
            let settings = Settings::load(&store, None)?;
            open(&settings).await?;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Generate { tickets, years, tenants, users_per_tenant, seed, cis, relationships, store } => {
            if years == 0 || tenants == 0 || users_per_tenant == 0 {
                return Err("--years, --tenants and --users-per-tenant must be at least 1".into());
            }
            let settings = Settings::load(&store, None)?;
            let store = open(&settings).await?;
            let scale = generate::Scale { tickets, years, tenants, users_per_tenant, seed, cis, relationships };
            let s = generate::run(&store, &scale).await?;
            store.close().await;
            eprintln!(
                "generated {} tickets, {} timeline events, {} SLA clocks, {} end users, {} CIs and {} relationships in {:.1} s\n\
                 log in as {} with the password {}",
                s.tickets,
                s.events,
                s.clocks,
                s.users,
                s.cis,
                s.relationships,
                s.seconds,
                generate::ADMIN_LOGIN,
                generate::PASSWORD
            );
            Ok(())
        }
        Command::User { command: UserCommand::Create { login, role, name, tenant, email, store } } => {
            let settings = Settings::load(&store, None)?;
            let store = open(&settings).await?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.lines().next().unwrap_or("").to_string();
            let mut tx = store.write().await?;
            let tenant_id = match tenant {
                Some(code) => Some(
                    tenants::by_code_unscoped(&mut tx, &code)
                        .await
                        .map_err(|_| format!("no tenant with code {code}"))?
                        .id,
                ),
                None => None,
            };
            let new = users::NewUser {
                tenant_id,
                name: name.unwrap_or_else(|| login.clone()),
                login,
                email,
                role,
                password: Some(yunwei_db::identity::HashedPassword::new(&password).await?),
                ..Default::default()
            };
            let user = users::create(&mut tx, None, new).await?;
            tx.commit().await?;
            eprintln!("created user {} ({}) with id {}", user.user.login, user.user.role, user.user.id);
            Ok(())
        }
        Command::Import { kind, file, tenant, dry_run, as_login, store } => {
            let settings = Settings::load(&store, None)?;
            let store = open(&settings).await?;
            let outcome = import(&store, kind, &file, &tenant, dry_run, as_login.as_deref()).await;
            store.close().await;
            outcome
        }
        Command::Token { command: TokenCommand::Create { login, name, store } } => {
            let settings = Settings::load(&store, None)?;
            let store = open(&settings).await?;
            let mut tx = store.write().await?;
            let user =
                users::by_login_unscoped(&mut tx, &login).await.map_err(|_| format!("no user with login {login}"))?;
            let token = yunwei_db::identity::create_token(&mut tx, None, user.id, &name).await?;
            tx.commit().await?;
            println!("{token}");
            Ok(())
        }
    }
}

/// `yunwei import`: reads the file, imports it in one transaction as an administrator (or
/// `as_login`), shows a progress bar on a terminal, prints the summary and every row in error
/// in the language of `LANG` (else the user's), and fails when any row is an error.
async fn import(
    store: &Store,
    kind: ImportKindArg,
    file: &std::path::Path,
    tenant: &str,
    dry_run: bool,
    as_login: Option<&str>,
) -> Fallible {
    use std::io::IsTerminal;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    yunwei_web::ui::i18n::install(MODULES.iter().flat_map(|m| m.texts.iter().copied()).collect());
    let sheet = yunwei_sheet::read(&bytes, &name);
    let mut tx = store.write().await?;
    let tenant_id =
        tenants::by_code_unscoped(&mut tx, tenant).await.map_err(|_| format!("no tenant with code {tenant}"))?.id;
    let user = match as_login {
        Some(login) => {
            users::by_login_unscoped(&mut tx, login).await.map_err(|_| format!("no user with login {login}"))?
        }
        None => cmdb_import::administrator_unscoped(&mut tx)
            .await?
            .ok_or("no active administrator to act as; create one with `yunwei user create`")?,
    };
    let actor = yunwei_db::identity::actor(&mut tx, &user).await?;
    let env_locale =
        ["LC_ALL", "LC_MESSAGES", "LANG"].iter().find_map(|v| std::env::var(v).ok().and_then(|l| Locale::parse(&l)));
    let locale = env_locale.or_else(|| Locale::parse(&user.locale)).unwrap_or(Locale::En);
    let sheet = sheet.map_err(|e| {
        let problem = cmdb_import::sheet_problem(&e);
        let words = problem.problem().map(|p| yunwei_web::ui::i18n::problem(locale, p)).unwrap_or_default();
        format!("{}: {words}", file.display())
    })?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(sheet.rows.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("import: {bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = std::time::Instant::now();
    let on_row = |i: usize| bar.set_position(i as u64 + 1);
    let mut report = match kind {
        ImportKindArg::Cis => {
            cmdb_import::run(&mut tx, &actor, tenant_id, ImportKind::Cis, &sheet, dry_run, on_row).await?
        }
        ImportKindArg::Relationships => {
            cmdb_import::run(&mut tx, &actor, tenant_id, ImportKind::Relationships, &sheet, dry_run, on_row).await?
        }
        ImportKindArg::Assets => {
            yunwei_assets::store::import::run(&mut tx, &actor, tenant_id, &sheet, dry_run, on_row).await?
        }
    };
    if report.applied {
        tx.commit().await?;
    } else {
        drop(tx);
    }
    bar.finish_and_clear();
    yunwei_cmdb::api::word_report(&mut report, locale);
    for r in report.error_rows() {
        if let Some(e) = &r.error {
            let place = match (&e.cell, &e.header) {
                (Some(cell), Some(h)) => format!("{cell} ({h})"),
                (Some(cell), None) => cell.clone(),
                _ => e.field.clone(),
            };
            println!("line {}: {place}: {}", r.line, e.message);
        }
    }
    println!("{}", report.summary);
    eprintln!("{} rows in {:.1} s", report.rows, started.elapsed().as_secs_f64());
    if report.errors > 0 {
        return Err(format!("{} rows have errors; nothing was imported", report.errors).into());
    }
    Ok(())
}

/// The bounded contexts in this build: their routes, pages, background jobs and translations.
/// A new module is one more line here.
const MODULES: &[Module] = &[yunwei_org::MODULE, yunwei_desk::MODULE, yunwei_cmdb::MODULE, yunwei_assets::MODULE];

async fn serve(settings: Settings, demo: bool) -> Fallible {
    let started = std::time::Instant::now();
    let shutdown = shutdown_signal()?;
    let store = open(&settings).await?;
    if demo {
        demo::ensure(&store, &settings).await?;
    }
    let listener =
        TcpListener::bind(&settings.listen).await.map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?;
    let addr = listener.local_addr()?;
    let config =
        ServerConfig { max_attachment_bytes: settings.max_attachment_mb * 1024 * 1024, ..ServerConfig::default() };
    tracing::info!(%addr, backend = ?store.backend(), startup_ms = started.elapsed().as_millis() as u64, "yunwei is serving");
    eprintln!("Yunwei is listening on http://{addr}");
    let state = AppState::new(store, config);
    let app = yunwei_web::router(state.clone(), MODULES);
    yunwei_web::serve(listener, state, MODULES, app, shutdown).await?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Completes on SIGTERM or Ctrl-C. The handlers are installed before this returns, so a signal
/// that arrives right after start-up is never missed (nor kills the process uncleanly).
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        let term = term.recv();
        #[cfg(not(unix))]
        let term = std::future::pending::<Option<()>>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term => {},
        }
        tracing::info!("shutdown requested: finishing requests in flight");
    })
}
