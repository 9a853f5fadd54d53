//! Throughput of nhacviec on this machine, against the targets of the design:
//!
//! - `planning`: a planning tick over 1,000,000 open tasks in SQLite (≤ 10 ms), and the
//!   due-tasks query's plan (the `tasks_due` index, no scan);
//! - `webhooks`: dispatch to a loopback HTTP receiver, every send recorded (≥ 20,000/s);
//! - `emails`: dispatch to a loopback SMTP sink, every send recorded (≥ 5,000/s);
//! - `python`: `requests` and `smtplib` sending sequentially to the same receivers, and
//!   nhacviec's rate over theirs (≥ 20× and ≥ 9×);
//! - `parts`: the store's and the renderer's own ceilings (no targets, for diagnosis);
//! - `idle`: the release binary idle on an empty store (RSS ≤ 20 MB, wakeups, SIGTERM).
//!
//! Run all: `cargo bench --bench throughput`. Run some: name them after `--`, e.g.
//! `cargo bench --bench throughput -- webhooks python`; skip some with `no-NAME`, e.g.
//! `-- no-planning`. The same words can be given in NHACVIEC_BENCH (comma-separated).
//! Other knobs (environment): NHACVIEC_BENCH_TASKS (planning store size, default
//! 1000000), NHACVIEC_BENCH_{WEBHOOKS,EMAILS}_{ITEMS,BATCH,CONCURRENCY,POOL},
//! NHACVIEC_BENCH_PYTHON_SECONDS (default 3).

mod support;

use std::process::ExitCode;
use std::time::Instant;

use support::dispatch::{self, Endpoint, Kind};
use support::receivers::{HttpReceiver, SmtpSink};
use support::{Report, env_number};

const SECTIONS: [&str; 6] = ["planning", "webhooks", "emails", "python", "parts", "idle"];

/// Which sections to run, from the arguments and NHACVIEC_BENCH.
struct Selection(Vec<&'static str>);

impl Selection {
    fn parse() -> Result<Self, String> {
        let from_env = std::env::var("NHACVIEC_BENCH").unwrap_or_default();
        let words: Vec<String> = std::env::args()
            .skip(1)
            .chain(from_env.split(',').map(str::to_owned))
            .map(|w| w.trim().to_owned())
            .filter(|w| !w.is_empty() && !w.starts_with('-'))
            .collect();
        let known = |name: &str| SECTIONS.iter().copied().find(|s| *s == name);
        let mut only = Vec::new();
        let mut skip = Vec::new();
        for word in &words {
            let (list, name) = match word.strip_prefix("no-") {
                Some(name) => (&mut skip, name),
                None => (&mut only, word.as_str()),
            };
            match known(name) {
                Some(section) => list.push(section),
                None => {
                    return Err(format!(
                        "unknown section '{name}': use {} (or no-NAME to skip one)",
                        SECTIONS.join(", ")
                    ));
                }
            }
        }
        let chosen = SECTIONS
            .iter()
            .copied()
            .filter(|s| (only.is_empty() || only.contains(s)) && !skip.contains(s))
            .collect();
        Ok(Self(chosen))
    }

    fn has(&self, section: &str) -> bool {
        self.0.contains(&section)
    }
}

fn main() -> ExitCode {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let selection = match Selection::parse() {
        Ok(selection) => selection,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the bench's tokio runtime starts");
    let report = runtime.block_on(run(&selection));
    report.print_summary();
    if report.failures.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

fn heading(section: &str, what: &str) {
    println!();
    println!("== {section}: {what} ==");
}

async fn run(selection: &Selection) -> Report {
    let started = Instant::now();
    let mut report = Report::default();
    println!(
        "nhacviec throughput bench: sections {} on {} cores",
        selection.0.join(", "),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    if selection.has("planning") {
        heading("planning", "ticks over 1,000,000 open tasks");
        if let Err(error) = support::planning::run(&mut report).await {
            report.failed("planning", &error);
        }
    }

    let python = selection.has("python");
    let python_seconds: f64 = env_number("NHACVIEC_BENCH_PYTHON_SECONDS", 3.0);
    let sample = match python.then(tempfile::tempdir).transpose() {
        Ok(dir) => dir,
        Err(error) => {
            report.failed("python", &error.into());
            None
        }
    };
    let sample_path = match &sample {
        Some(dir) => match dispatch::write_sample(dir.path()) {
            Ok(path) => Some(path),
            Err(error) => {
                report.failed("python", &error);
                None
            }
        },
        None => None,
    };

    if selection.has("webhooks") || python {
        match HttpReceiver::start() {
            Ok(receiver) => {
                let mut ours = None;
                if selection.has("webhooks") {
                    heading("webhooks", "dispatch to a loopback HTTP receiver");
                    let endpoint = Endpoint::Http(receiver.url());
                    match dispatch::run(&mut report, Kind::Webhooks, endpoint, || receiver.count()).await {
                        Ok(rate) => ours = Some(rate),
                        Err(error) => report.failed("webhooks", &error),
                    }
                }
                if let Some(sample) = &sample_path {
                    heading("python", "requests, one Session, sequential");
                    let before = receiver.count();
                    match dispatch::python("http", &receiver.url(), sample, python_seconds).await {
                        Ok(baseline) => {
                            let received = receiver.count() - before;
                            dispatch::report_baseline(
                                &mut report,
                                "requests rate",
                                &baseline,
                                received,
                                ours,
                                20.0,
                            );
                        }
                        Err(error) => report.failed("python", &error),
                    }
                }
            }
            Err(error) => report.failed("webhooks", &error.into()),
        }
    }

    if selection.has("emails") || python {
        match SmtpSink::start() {
            Ok(sink) => {
                let mut ours = None;
                if selection.has("emails") {
                    heading("emails", "dispatch to a loopback SMTP sink");
                    let endpoint = Endpoint::Smtp(sink.port);
                    match dispatch::run(&mut report, Kind::Emails, endpoint, || sink.count()).await {
                        Ok(rate) => ours = Some(rate),
                        Err(error) => report.failed("emails", &error),
                    }
                }
                if let Some(sample) = &sample_path {
                    heading("python", "smtplib, one connection, sequential");
                    let before = sink.count();
                    match dispatch::python("smtp", &sink.port.to_string(), sample, python_seconds).await {
                        Ok(baseline) => {
                            let received = sink.count() - before;
                            dispatch::report_baseline(
                                &mut report,
                                "smtplib rate",
                                &baseline,
                                received,
                                ours,
                                9.0,
                            );
                        }
                        Err(error) => report.failed("python", &error),
                    }
                }
            }
            Err(error) => report.failed("emails", &error.into()),
        }
    }

    if selection.has("parts") {
        heading("parts", "the store and the renderer alone");
        if let Err(error) = dispatch::parts(&mut report).await {
            report.failed("parts", &error);
        }
    }

    if selection.has("idle") {
        heading("idle", "the release binary on an empty store, poll_interval 1h");
        if let Err(error) = support::idle::run(&mut report).await {
            report.failed("idle", &error);
        }
    }

    println!();
    println!("bench ran in {:.0} s", started.elapsed().as_secs_f64());
    report
}
