//! The `contacts` command: `contacts serve` runs the service.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use contacts::Config;

#[derive(Parser)]
#[command(name = "contacts", version, about = "A Redmine CRM compatible contacts store in one binary")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (no configuration needed: ./contacts.db on 127.0.0.1:3000).
    Serve {
        /// The database file; created on first start.
        #[arg(long, env = "CONTACTS_DB", default_value = "contacts.db")]
        db: PathBuf,
        /// Address to listen on.
        #[arg(long, env = "CONTACTS_LISTEN", default_value = "127.0.0.1:3000")]
        listen: String,
        /// A known API key for the administrator (login `admin`).
        #[arg(long, env = "CONTACTS_ADMIN_KEY", hide_env_values = true)]
        admin_key: Option<String>,
        /// Largest request body in bytes; larger bodies get 413.
        #[arg(long, env = "CONTACTS_MAX_BODY", default_value_t = 1024 * 1024)]
        max_body_bytes: usize,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Serve { db, listen, admin_key, max_body_bytes } => runtime.block_on(async move {
            let mut config = Config::new(db);
            config.admin_key = admin_key;
            config.max_body_bytes = max_body_bytes;
            config.readers = (std::thread::available_parallelism().map_or(2, |n| n.get()) as u32).max(2) + 2;
            serve(config, &listen).await
        }),
    }
}

async fn serve(config: Config, listen: &str) -> std::process::ExitCode {
    let (app, first_start) = match contacts::open(&config).await {
        Ok(opened) => opened,
        Err(e) => {
            eprintln!("cannot open {}: {e}", config.db.display());
            return std::process::ExitCode::FAILURE;
        }
    };
    if let Some(first) = first_start {
        // Printed once, on the terminal only (never through the log).
        println!("Created the administrator: login admin, password {}, API key {}", first.password, first.api_key);
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!("serving {} on http://{}", config.db.display(), listener.local_addr().map_or(listen.to_string(), |a| a.to_string()));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    contacts::run(listener, app, shutdown).await;
    std::process::ExitCode::SUCCESS
}
