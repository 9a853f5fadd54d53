//! How fast the importer reads a long directive, and how its cost grows with the length.
//!
//! The document is made of the labelled development set (`tests/fixtures/import/`): its
//! nineteen directives, whole, one after another and again, to about 150 KB of text (some
//! fifty pages). The target: under 50 ms for 150 KB, and a cost that grows linearly, so the
//! time per KB stays about the same from 37 KB to 300 KB.
//!
//! `cargo bench --bench import`

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nhacviec::config::Settings;
use nhacviec::import::{self, Setting};

const TARGET_BYTES: usize = 150 * 1024;
const TARGET_TIME: Duration = Duration::from_millis(50);

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The median time of reading `text`, over enough runs to take a second or so.
fn time(text: &str, setting: &Setting) -> (Duration, usize) {
    let mut times = Vec::new();
    let mut tasks = 0;
    let started = Instant::now();
    while times.len() < 5 || (started.elapsed() < Duration::from_secs(1) && times.len() < 200) {
        let start = Instant::now();
        let proposal = import::propose(text, setting);
        times.push(start.elapsed());
        tasks = proposal.tasks.len();
    }
    (median(times), tasks)
}

fn main() -> ExitCode {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/import");
    let config = match std::fs::read_to_string(folder.join("config.toml")) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("{}: {error}", folder.join("config.toml").display());
            return ExitCode::FAILURE;
        }
    };
    let settings = match Settings::from_toml(&config, "config.toml", &[]) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    files.sort();
    let documents: Vec<String> = files.iter().filter_map(|p| std::fs::read_to_string(p).ok()).collect();
    if documents.is_empty() {
        eprintln!("no documents in {}", folder.display());
        return ExitCode::FAILURE;
    }
    // Whole documents, one after another, until the text is `bytes` long.
    let document_of = |bytes: usize| {
        let mut text = String::with_capacity(bytes + 20_000);
        for document in documents.iter().cycle() {
            if text.len() >= bytes {
                break;
            }
            text.push_str(document);
            text.push('\n');
        }
        text
    };
    println!("{:>8}  {:>10}  {:>10}  {:>6}", "KB", "median", "µs per KB", "tasks");
    let mut per_kb = Vec::new();
    let mut target_time = Duration::ZERO;
    for quarter in [1usize, 2, 4, 8] {
        let bytes = TARGET_BYTES * quarter / 4;
        let text = document_of(bytes);
        let (median, tasks) = time(&text, &setting);
        let micros_per_kb = median.as_secs_f64() * 1e6 / (text.len() as f64 / 1024.0);
        per_kb.push(micros_per_kb);
        if quarter == 4 {
            target_time = median;
        }
        println!(
            "{:>8.0}  {:>8.2}ms  {:>10.1}  {:>6}",
            text.len() as f64 / 1024.0,
            median.as_secs_f64() * 1e3,
            micros_per_kb,
            tasks
        );
    }
    let growth = per_kb[per_kb.len() - 1] / per_kb[0];
    println!();
    println!(
        "150 KB in {:.2} ms (target < {} ms); time per KB at 300 KB over at 37 KB: {growth:.2} (linear: about 1)",
        target_time.as_secs_f64() * 1e3,
        TARGET_TIME.as_millis()
    );
    if target_time < TARGET_TIME && growth < 1.5 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
