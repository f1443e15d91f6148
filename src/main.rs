//! The `contacts` command: `contacts serve` runs the service; `demo` fills a database with
//! demo data; `backup` and `restore` copy a database out and back; `export`, `import` and
//! `duplicates` move contacts in and out of files (all in `contacts::cli`).

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
        /// Largest file upload to POST /contacts/import in bytes (held in memory); larger get 413.
        #[arg(long, env = "CONTACTS_MAX_IMPORT", default_value_t = 64 * 1024 * 1024)]
        max_import_bytes: usize,
        /// Connections served at once; more wait in the listen queue.
        #[arg(long, env = "CONTACTS_MAX_CONNECTIONS", default_value_t = 1024)]
        max_connections: usize,
        /// Seconds a client has to send a request's headers, and again its body (408 after).
        #[arg(long, env = "CONTACTS_REQUEST_TIMEOUT", default_value_t = 30)]
        request_timeout: u64,
        /// Values one list parameter of a read may carry (ids, include, filter values).
        #[arg(long, env = "CONTACTS_MAX_LIST_VALUES", default_value_t = 1000)]
        max_list_values: usize,
        /// Tags one contact may have.
        #[arg(long, env = "CONTACTS_MAX_TAGS", default_value_t = 100)]
        max_tags: usize,
        /// Fill an empty database with 2,000 demo contacts first.
        #[arg(long)]
        demo: bool,
        /// Let other processes open the database while the server runs (Litestream, to
        /// replicate it): SQLite's ordinary locking, checkpoints left to Litestream. Another
        /// contacts server on the file is still refused.
        #[arg(long, env = "CONTACTS_SHARED_LOCK")]
        shared_lock: bool,
        /// TLS ends in a proxy in front of the service: the web interface's cookies are Secure.
        #[arg(long, env = "CONTACTS_BEHIND_PROXY")]
        behind_proxy: bool,
    },
    /// Fill a database that holds no contacts yet with realistic demo data.
    Demo {
        /// How many contacts to create.
        #[arg(long)]
        contacts: usize,
        /// The database file; created when missing.
        #[arg(long, env = "CONTACTS_DB", default_value = "contacts.db")]
        db: PathBuf,
        /// The same seed always gives the same contacts.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Save a consistent, checked copy of a running server's database (through its
    /// administrator-only GET /admin/backup). Exit codes: 1 failed, 3 the copy failed its check.
    Backup {
        /// The file to write (must not exist; written as OUT.tmp and renamed when checked).
        out: PathBuf,
        /// The server's address.
        #[arg(long, env = "CONTACTS_URL", default_value = "http://127.0.0.1:3000")]
        url: String,
        /// The administrator's API key.
        #[arg(long, env = "CONTACTS_API_KEY", hide_env_values = true)]
        key: String,
    },
    /// Check a backup and install it as the database of a stopped server. Exit codes: 1 failed,
    /// 3 not a sound backup, 4 the database is in use (stop the server first).
    Restore {
        /// The backup file.
        file: PathBuf,
        /// The database to replace (created when missing).
        #[arg(long, env = "CONTACTS_DB", default_value = "contacts.db")]
        db: PathBuf,
    },
    /// Export contacts as vCard or CSV (from a stopped server's file, or through --url).
    Export(contacts::cli::ExportArgs),
    /// Import a vCard or CSV file into a project (all or nothing unless --skip-invalid).
    Import(contacts::cli::ImportArgs),
    /// List groups of likely duplicate contacts (same names, or the same primary e-mail).
    Duplicates(contacts::cli::DuplicatesArgs),
}

/// The server's allocator settings (glibc). Not for the one-shot commands, which run a few
/// busy threads for a short while: an import into an empty file (reader, writer and search
/// index threads) lost 15 % of its speed to two arenas' lock waits, and an export or import
/// mapping and unmapping its buffers spent as long in the kernel as in its own code.
fn tune_allocator_for_serving() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called before any other thread exists.
    unsafe {
        // glibc gives every thread that allocates under contention an arena of its own (up to
        // eight per core), and each arena keeps what was freed in it. The runtime's workers
        // and the threads that take over during long reads then hold 50+ MB after a few large
        // searches; two arenas hold 40 at the same throughput (load benchmark at a million
        // contacts, search scenarios).
        libc::mallopt(libc::M_ARENA_MAX, 2);
        // A fixed mmap threshold: glibc raises it after each large free (up to 32 MB), after
        // which the list index's transient buffers (id lists, bucket counts, bitmap copies of
        // 128 kB to megabytes) come from the heap and stay resident; mapped, they go back on
        // free.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
    // What is freed inside the arenas stays resident until reused: after the 1M load
    // benchmark 10 MB of the two arenas' 62 were free chunks (malloc_info). Handing their whole
    // pages back every few seconds costs a walk of the free lists.
    let spawned = std::thread::Builder::new().name("malloc-trim".into()).spawn(|| loop {
        std::thread::sleep(std::time::Duration::from_secs(5));
        contacts::store::release_freed_memory();
    });
    if let Err(e) = spawned {
        eprintln!("cannot start the allocator's trimming thread: {e}");
    }
}

fn main() -> std::process::ExitCode {
    let command = Cli::parse().command;
    if matches!(command, Command::Serve { .. }) {
        tune_allocator_for_serving();
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_target(false)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match command {
        Command::Backup { out, url, key } => finish(contacts::cli::backup::run(&out, &url, &key)),
        Command::Restore { file, db } => finish(contacts::cli::restore::run(&file, &db)),
        command => run_service(command),
    }
}

/// Prints what an operator's command did (or why it failed) and gives its exit code.
fn finish(done: Result<String, contacts::cli::Failed>) -> std::process::ExitCode {
    match done {
        Ok(line) => {
            println!("{line}");
            std::process::ExitCode::SUCCESS
        }
        Err(failed) => {
            eprintln!("{}", failed.message);
            std::process::ExitCode::from(failed.code)
        }
    }
}

/// `serve` and `demo`, on a multi-threaded runtime.
fn run_service(command: Command) -> std::process::ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match command {
        Command::Serve {
            db,
            listen,
            admin_key,
            max_body_bytes,
            max_import_bytes,
            max_connections,
            request_timeout,
            max_list_values,
            max_tags,
            demo,
            shared_lock,
            behind_proxy,
        } => runtime.block_on(async move {
            let mut config = Config::new(db);
            config.admin_key = admin_key;
            config.behind_proxy = behind_proxy;
            config.limits.max_body_bytes = max_body_bytes;
            config.limits.max_import_bytes = max_import_bytes;
            config.limits.max_connections = max_connections;
            config.limits.request_timeout = std::time::Duration::from_secs(request_timeout.max(1));
            config.limits.max_list_values = max_list_values.max(1);
            config.limits.max_tags = max_tags;
            config.readers = (std::thread::available_parallelism().map_or(2, |n| n.get()) as u32).max(2) + 2;
            if shared_lock {
                config.locking = contacts::store::Locking::Shared;
            }
            serve(config, &listen, demo).await
        }),
        Command::Demo { contacts: count, db, seed } => runtime.block_on(demo(db, count, seed)),
        Command::Export(args) => exit_with(runtime.block_on(contacts::cli::export(args)).map(|()| true)),
        Command::Import(args) => exit_with(runtime.block_on(contacts::cli::import(args))),
        Command::Duplicates(args) => exit_with(runtime.block_on(contacts::cli::duplicates(args)).map(|()| true)),
        Command::Backup { .. } | Command::Restore { .. } => {
            finish(Err(contacts::cli::Failed::new(contacts::cli::exit::FAILED, "not a service command")))
        }
    }
}

/// Success, a refusal (an import that wrote nothing: 2), or an error (1) said on stderr.
fn exit_with(outcome: contacts::error::Result<bool>) -> std::process::ExitCode {
    match outcome {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("{}", e.to_string().trim_start_matches("internal error: "));
            std::process::ExitCode::FAILURE
        }
    }
}

fn print_first_start(first_start: Option<contacts::FirstStart>) {
    if let Some(first) = first_start {
        // Printed once, on the terminal only (never through the log).
        println!("Created the administrator: login admin, password {}, API key {}", first.password, first.api_key);
    }
}

async fn demo(db: PathBuf, count: usize, seed: u64) -> std::process::ExitCode {
    // Opening through the service first creates the administrator (shown once): the demo
    // database can be logged into, and the admin authors part of the contacts.
    match contacts::open(&Config::new(db.clone())).await {
        Ok((app, first_start)) => {
            print_first_start(first_start);
            drop(app);
        }
        Err(e) => {
            eprintln!("cannot open {}: {e}", db.display());
            return std::process::ExitCode::FAILURE;
        }
    }
    let generated = tokio::task::spawn_blocking(move || contacts::demo::generate(&db, count, seed)).await;
    match generated.map_err(|e| contacts::error::Error::Internal(e.to_string())).and_then(|r| r) {
        Ok(s) => {
            println!(
                "Created {} contacts, {} projects, {} users, {} notes and {} deals in {:.1} s",
                s.contacts,
                s.projects,
                s.users,
                s.notes,
                s.deals,
                s.elapsed.as_secs_f64()
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot generate the demo data: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config, listen: &str, demo: bool) -> std::process::ExitCode {
    let open = || async {
        contacts::open(&config).await.map_err(|e| {
            eprintln!("cannot open {}: {e}", config.db.display());
            std::process::ExitCode::FAILURE
        })
    };
    let (mut app, first_start) = match open().await {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    print_first_start(first_start);
    if demo {
        let db = config.db.clone();
        let empty = app.store.has_no_contacts();
        if matches!(empty, Ok(true)) {
            // The demo writes on a connection of its own, which the store's caches (and its
            // trigram census) would not see: close the store first, open it again after.
            drop(app);
            match tokio::task::spawn_blocking(move || contacts::demo::generate(&db, 2_000, 42)).await {
                Ok(Ok(s)) => tracing::info!("added {} demo contacts in {:.1} s", s.contacts, s.elapsed.as_secs_f64()),
                Ok(Err(e)) => tracing::warn!("cannot add the demo contacts: {e}"),
                Err(e) => tracing::warn!("cannot add the demo contacts: {e}"),
            }
            app = match open().await {
                Ok((app, _)) => app,
                Err(code) => return code,
            };
        }
    }
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {listen}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let shared = match config.locking {
        contacts::store::Locking::Shared => " (shared lock: other processes may open it)",
        contacts::store::Locking::Exclusive => "",
    };
    tracing::info!(
        "serving {}{shared} on http://{}",
        config.db.display(),
        listener.local_addr().map_or(listen.to_string(), |a| a.to_string())
    );
    contacts::run(listener, app, shutdown_signal()).await;
    std::process::ExitCode::SUCCESS
}

/// Ctrl-C, or SIGTERM from a service manager (systemd, docker stop): both finish in-flight
/// requests before exiting.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
