//! The command line: parses arguments, loads the config, runs one command, and turns
//! errors into a message on stderr and an exit code. The only place that uses `anyhow`.
//!
//! Exit codes: 0 success; 1 failure (store, network); 2 bad input (config, files, IDs,
//! dates) — the store is left as it was.

/// Like `println!`, but a closed pipe (`nhacviec preview | head`) ends the output quietly
/// instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod access;
mod calendar;
mod directives;
mod explain;
mod imports;
mod messages;
mod outbox;
mod preview;
mod sources;
mod summary;
mod table;
mod tasks;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use crate::config::{ConfigError, ConfigSource, Settings};

#[derive(Parser, Debug)]
#[command(
    name = "nhacviec",
    version,
    about = "Nhắc việc: reminds departments of the tasks directives assign them"
)]
pub struct Cli {
    /// Config file; without it, the embedded default config.
    #[arg(long, short, global = true, env = "NHACVIEC_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the daemon: plan and send reminders until stopped (SIGTERM, SIGINT).
    Run,
    /// Validate the config and the store; print every problem with its key path.
    Check,
    /// Bring the store's schema up to date and name each migration applied. `run` does it
    /// too; on PostgreSQL an operator may prefer to do it once, before starting the daemons.
    Migrate,
    /// Directives: the documents that assign tasks.
    #[command(subcommand)]
    Directive(DirectiveCommand),
    /// Tasks: list, mark done, extend.
    #[command(subcommand)]
    Task(TaskCommand),
    /// The outbox of reminders: list, retry.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Read directives (text, PDF, DOCX) and propose their tasks, deadlines and bodies.
    Import(imports::ImportArgs),
    /// The places directives are polled from: last poll, cursor, counts and last error.
    Sources {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Drafts the sources left for review: list, show, accept, reject.
    #[command(subcommand)]
    Draft(sources::DraftCommand),
    /// Print every reminder that would go out between two dates, sending nothing.
    Preview(preview::PreviewArgs),
    /// Print one reminder as it would be sent, from its task and rule.
    Render(messages::RenderArgs),
    /// Send a test message through each of a department's channels and report each result.
    SendTest(messages::SendTestArgs),
    /// The weekly summary's figures per lead department: open, due within 7 days, overdue,
    /// done on time, done late.
    Summary(summary::SummaryArgs),
    /// Copy the store, consistently, while the daemon runs: `nhacviec backup FILE`.
    Backup { file: PathBuf },
    /// A year's days off other than weekends (holidays, compensatory days, overrides), or a
    /// conversion to or from the lunar calendar.
    Calendar(calendar::CalendarArgs),
    /// Tell, for one task, which reminders were sent, which are pending, and why any was skipped.
    Explain(explain::ExplainArgs),
    /// API tokens: `nhacviec token new --name e-office --scope write`.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the address of a department's calendar feed (iCalendar), to subscribe to.
    FeedUrl {
        /// The department: code, name or alias.
        #[arg(long)]
        department: String,
    },
}

#[derive(Subcommand, Debug)]
enum DirectiveCommand {
    /// Load a directive and its tasks from a TOML file, in one transaction.
    Add { file: PathBuf },
    /// List directives.
    List {
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

#[derive(Subcommand, Debug)]
enum TaskCommand {
    /// List tasks.
    List(tasks::ListArgs),
    /// Show one task with its history.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Mark a task done: its pending reminders are cancelled.
    Done {
        id: i64,
        /// The day it was done (YYYY-MM-DD); today by default.
        #[arg(long, value_parser = parse_date)]
        on: Option<NaiveDate>,
        /// A note kept in the task's history (e.g. the report's number).
        #[arg(long)]
        note: Option<String>,
    },
    /// Give a task a new deadline; the reason is kept in its history.
    Extend {
        id: i64,
        /// The new deadline: 2021-12-15, 2021-12, 2022-Q1, 2022, or +10wd / +30d from today.
        #[arg(long)]
        to: String,
        #[arg(long)]
        reason: String,
        /// The new deadline in the words of the decision granting it.
        #[arg(long)]
        phrase: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Make a new token: prints it once, and the config entry holding its SHA-256.
    New {
        /// The client's name, shown in task histories (e.g. e-office).
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        scope: access::ScopeArg,
    },
}

#[derive(Subcommand, Debug)]
enum OutboxCommand {
    /// List reminders in the outbox.
    List(outbox::ListArgs),
    /// Send a dead or cancelled reminder again.
    Retry { id: i64 },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

/// An error the user caused: bad input, exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("'{text}' is not a date in the calendar: write YYYY-MM-DD"))
}

fn config_source(cli: &Cli) -> ConfigSource {
    cli.config.clone().map_or(ConfigSource::Embedded, ConfigSource::File)
}

/// Parses the command line, runs the command, returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = rustls::crypto::ring::default_provider().install_default();
    init_tracing(matches!(cli.command, Command::Run));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {}", chain(&error));
            let input =
                error.downcast_ref::<InputError>().is_some() || error.downcast_ref::<ConfigError>().is_some();
            ExitCode::from(if input { 2 } else { 1 })
        }
    }
}

/// The error and its causes on one line, leaving out a cause its parent already quotes.
fn chain(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain().map(ToString::to_string) {
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let source = config_source(&cli);
    let load = || Settings::load(&source);
    match cli.command {
        Command::Check => return Ok(check(&source).await),
        Command::Run => run_daemon(load()?, source.clone()).await,
        Command::Directive(DirectiveCommand::Add { file }) => directives::add(&load()?, &file).await,
        Command::Directive(DirectiveCommand::List { format }) => directives::list(&load()?, format).await,
        Command::Task(TaskCommand::List(args)) => tasks::list(&load()?, &args).await,
        Command::Task(TaskCommand::Show { id, format }) => tasks::show(&load()?, id, format).await,
        Command::Task(TaskCommand::Done { id, on, note }) => tasks::done(&load()?, id, on, note).await,
        Command::Task(TaskCommand::Extend { id, to, reason, phrase }) => {
            tasks::extend(&load()?, id, &to, &reason, phrase).await
        }
        Command::Outbox(OutboxCommand::List(args)) => outbox::list(&load()?, &args).await,
        Command::Outbox(OutboxCommand::Retry { id }) => outbox::retry(&load()?, id).await,
        Command::Import(args) => imports::run(&load()?, &args).await,
        Command::Sources { format } => sources::list(&load()?, format).await,
        Command::Draft(command) => sources::draft(&load()?, &command).await,
        Command::Preview(args) => preview::run(&load()?, &args).await,
        Command::Explain(args) => explain::run(&load()?, &args).await,
        Command::Calendar(args) => calendar::run(&load()?, &args),
        Command::Render(args) => messages::render(&load()?, &args).await,
        Command::SendTest(args) => messages::send_test(&load()?, &args).await,
        Command::Summary(args) => summary::run(&load()?, &args).await,
        Command::Backup { file } => backup(&load()?, &file).await,
        Command::Migrate => migrate(&load()?).await,
        Command::Token(TokenCommand::New { name, scope }) => access::new_token(&name, scope),
        Command::FeedUrl { department } => access::feed_url(&load()?, &department),
    }
    .map(|()| ExitCode::SUCCESS)
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let applied = crate::store::Store::migrate(&settings.store.url).await?;
    if applied.is_empty() {
        println!("the store's schema is up to date");
    }
    for migration in applied {
        println!("applied {migration}");
    }
    Ok(())
}

async fn backup(settings: &Settings, file: &std::path::Path) -> anyhow::Result<()> {
    if file.exists() {
        return Err(InputError(format!("{} exists: name a new file", file.display())).into());
    }
    let store = crate::store::Store::open_existing(&settings.store.url).await?;
    store.backup(file).await?;
    outln!("store {} copied to {}", settings.store.url, file.display());
    Ok(())
}

async fn run_daemon(settings: Settings, source: ConfigSource) -> anyhow::Result<()> {
    let shutdown = crate::daemon::shutdown_on_signals()?;
    let daemon = crate::daemon::Daemon::build(settings, source).await?;
    daemon.run(shutdown).await?;
    Ok(())
}

/// `nhacviec check`: every config problem with its key path, then the store. Exit 0 or 2.
async fn check(source: &ConfigSource) -> ExitCode {
    let settings = match Settings::load(source) {
        Ok(settings) => settings,
        Err(ConfigError::Invalid { source_name, problems }) => {
            eprintln!("{source_name}: {} problem(s)", problems.len());
            for problem in problems {
                eprintln!("  {problem}");
            }
            return ExitCode::from(2);
        }
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(2);
        }
    };
    let template_problems = check_templates(&settings);
    if !template_problems.is_empty() {
        eprintln!("{}: {} problem(s)", settings.source, template_problems.len());
        for problem in template_problems {
            eprintln!("  {problem}");
        }
        return ExitCode::from(2);
    }
    let source_problems: Vec<String> = settings
        .sources
        .iter()
        .enumerate()
        .filter_map(|(i, source)| {
            crate::sources::check(source)
                .err()
                .map(|problem| format!("sources[{i}] ({}): {problem}", source.name))
        })
        .collect();
    if !source_problems.is_empty() {
        eprintln!("{}: {} problem(s)", settings.source, source_problems.len());
        for problem in source_problems {
            eprintln!("  {problem}");
        }
        return ExitCode::from(2);
    }
    if let Err(problem) = crate::store::Store::check(&settings.store.url).await {
        eprintln!("store.url: {problem}");
        return ExitCode::from(2);
    }
    outln!(
        "{}: valid ({} departments, {} channels, {} sources, store {})",
        settings.source,
        settings.departments.len(),
        settings.channels.len(),
        settings.sources.len(),
        settings.store.url
    );
    ExitCode::SUCCESS
}

/// Every template compiles, renders a sample reminder and notice, and each generic webhook's body
/// template exists and renders JSON.
fn check_templates(settings: &Settings) -> Vec<String> {
    let renderer = match crate::message::Renderer::new(settings.templates_dir.as_deref()) {
        Ok(renderer) => renderer,
        Err(e) => return vec![format!("templates: {e}")],
    };
    let facts = crate::message::sample_facts("snv", "Sở Nội vụ");
    let mut problems = Vec::new();
    if let Err(e) = renderer.render(&facts) {
        problems.push(format!("templates: {e}"));
    }
    if let Err(e) = renderer.render_notice(&crate::message::sample_notice()) {
        problems.push(format!("templates: {e}"));
    }
    for (name, channel) in &settings.channels {
        if let crate::config::ChannelSettings::Webhook(webhook) = channel
            && webhook.preset == crate::config::Preset::Webhook
            && let Err(e) = renderer.render_webhook(&webhook.template, &facts)
        {
            problems.push(format!("channels.{name}.template: {e}"));
        }
    }
    problems
}

fn init_tracing(daemon: bool) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::prelude::*;
    let default = if daemon { "info" } else { "warn" };
    let filter = EnvFilter::try_from_env("NHACVIEC_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let journald =
        std::env::var_os("JOURNAL_STREAM").is_some().then(|| tracing_journald::layer().ok()).flatten();
    let registry = tracing_subscriber::registry().with(filter);
    match journald {
        Some(layer) => registry.with(layer).init(),
        None => {
            // Colours for a person at a terminal, never escape codes in a file or a pipe.
            use std::io::IsTerminal;
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal());
            registry.with(layer).init()
        }
    }
}

/// Opens the store of the settings, creating and migrating it when needed.
/// Writes `sheet` to `path` as its extension says (.xlsx or .csv), and says so.
fn export(sheet: &crate::export::Sheet, path: &std::path::Path) -> anyhow::Result<()> {
    let format = crate::export::ExportFormat::of_path(path).map_err(|e| InputError(e.to_string()))?;
    let bytes = format.write(sheet)?;
    std::fs::write(path, bytes)
        .map_err(|e| InputError(format!("cannot write the export to '{}': {e}", path.display())))?;
    outln!("Đã xuất {} dòng ra {}", sheet.rows.len(), path.display());
    Ok(())
}

async fn open_store(settings: &Settings) -> anyhow::Result<crate::store::Store> {
    Ok(crate::store::Store::open_with(
        &settings.store.url,
        crate::store::StoreOptions::from_settings(&settings.store),
    )
    .await?)
}
