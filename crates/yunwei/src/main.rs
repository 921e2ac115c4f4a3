#![recursion_limit = "512"]
//! `yunwei`: the one binary. `serve` runs the web UI, API and background work; `migrate`,
//! `user` and `token` manage an installation from the command line.

mod config;
mod demo;
mod estate;
mod generate;
mod generate_cmdb;
mod rng;

use std::io::Read;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tokio::net::TcpListener;
use yunwei_db::Store;
use yunwei_desk::store::categories;
use yunwei_desk::store::search;
use yunwei_desk::store::sla;
use yunwei_org::tenants;
use yunwei_org::users;
use yunwei_web::ServerConfig;
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
