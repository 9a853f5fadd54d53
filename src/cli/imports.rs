//! `nhacviec import FILE...`: reads each document and prints what the importer proposes,
//! as a table to review, as JSON, or as a directive file to edit and add.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{InputError, table};
use crate::app::imports::{Applied, ApplyError};
use crate::app::{Actor, Changes};
use crate::config::Settings;
use crate::import::{self, Proposal, Setting};

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Documents: text (UTF-8 or a legacy Vietnamese encoding), PDF or DOCX.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ImportFormat::Table)]
    format: ImportFormat,
    /// The directive's number and symbol, when the document does not say it.
    #[arg(long, value_name = "N")]
    directive_number: Option<String>,
    /// Store each document's directive and tasks (one transaction each) once every
    /// document passes the checks; a document imported before is left as it is.
    #[arg(long)]
    apply: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    Table,
    Json,
    Toml,
}

pub async fn run(settings: &Settings, args: &ImportArgs) -> anyhow::Result<()> {
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    let mut proposals = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let size =
            std::fs::metadata(file).map_err(|e| InputError(format!("{name}: cannot read it: {e}")))?.len();
        if size > import::MAX_DOCUMENT_BYTES as u64 {
            return Err(InputError(format!(
                "{name}: too large for a directive: {} MB (at most {} MB)",
                size / (1024 * 1024),
                import::MAX_DOCUMENT_BYTES / (1024 * 1024)
            ))
            .into());
        }
        let bytes = std::fs::read(file).map_err(|e| InputError(format!("{name}: cannot read it: {e}")))?;
        let hash = crate::app::imports::document_hash(&bytes);
        let (mut proposal, encoding) =
            import::read(&bytes, &setting).map_err(|e| InputError(format!("{name}: {e}")))?;
        if encoding.converted() {
            eprintln!("{name}: converted from {} to Unicode", encoding.as_str());
        }
        if let Some(number) = &args.directive_number {
            proposal.document.number = Some(number.clone());
        }
        proposals.push((name, proposal, hash));
    }
    if args.apply {
        return apply(settings, &proposals).await;
    }
    let proposals: Vec<(String, Proposal)> = proposals.into_iter().map(|(name, p, _)| (name, p)).collect();
    match args.format {
        ImportFormat::Json => {
            let values: Vec<&Proposal> = proposals.iter().map(|(_, p)| p).collect();
            match values.as_slice() {
                [one] => table::print_json(one),
                _ => table::print_json(&values),
            }
        }
        ImportFormat::Toml => {
            for (name, proposal) in &proposals {
                outln!("{}", crate::directive_file::proposal_file(proposal, name));
            }
            Ok(())
        }
        ImportFormat::Table => {
            for (name, proposal) in &proposals {
                print_table(name, proposal);
            }
            Ok(())
        }
    }
}

/// Checks every proposal, then stores each: nothing is written unless all pass.
async fn apply(settings: &Settings, proposals: &[(String, Proposal, String)]) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for (name, proposal, hash) in proposals {
        if let Err(found) = crate::app::imports::check(settings, proposal, name, hash) {
            problems.extend(found.iter().map(|p| p.describe(name)));
        }
    }
    if !problems.is_empty() {
        problems.push(
            "nothing was stored: write the proposal with --format toml, correct it, and add it with `nhacviec directive add`"
                .to_owned(),
        );
        return Err(InputError(problems.join("\n")).into());
    }
    let store = super::open_store(settings).await?;
    let changes = Changes::new(&store, settings, Actor::cli());
    for (name, proposal, hash) in proposals {
        match changes.apply_import(proposal, name, hash).await {
            Ok(Applied::Added { directive, tasks, with_deadline }) => outln!(
                "{name}: directive {} added: {tasks} tasks ({with_deadline} with a deadline)",
                directive.0
            ),
            Ok(Applied::AlreadyImported(directive)) => {
                outln!("{name}: already imported as directive {}: nothing changed", directive.0)
            }
            Err(ApplyError::Invalid(problems)) => {
                let lines: Vec<String> = problems.iter().map(|p| p.describe(name)).collect();
                return Err(InputError(lines.join("\n")).into());
            }
            Err(ApplyError::Change(error)) => return Err(super::tasks::change_error(error)),
        }
    }
    crate::store::wake_running_daemon(&settings.store.url);
    Ok(())
}

fn print_table(name: &str, proposal: &Proposal) {
    let document = &proposal.document;
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    outln!("{name}");
    outln!("  bảng mã: {}", proposal.encoding);
    outln!("  loại: {}", or_dash(document.kind.clone()));
    outln!("  số: {}", or_dash(document.number.clone()));
    outln!("  cơ quan ban hành: {}", or_dash(document.issuer.clone()));
    outln!("  ngày ban hành: {}", or_dash(document.issue_date.map(|d| d.format("%d/%m/%Y").to_string())));
    if let Some(meeting) = document.meeting_date {
        outln!("  ngày họp: {}", meeting.format("%d/%m/%Y"));
    }
    let dated = proposal.tasks.iter().filter(|t| t.deadline.is_some() || t.recurrence.is_some()).count();
    let flagged = proposal.tasks.iter().filter(|t| t.flags.iter().any(|f| f.needs_review())).count();
    outln!("  {} nhiệm vụ, {} có thời hạn, {} cần xem lại", proposal.tasks.len(), dated, flagged);
    outln!();
    let rows: Vec<Vec<String>> = proposal
        .for_review()
        .into_iter()
        .map(|task| {
            let deadline = match (&task.deadline, &task.recurrence) {
                (Some(date), _) => date.format("%d/%m/%Y").to_string(),
                (None, Some(_)) => "định kỳ".to_owned(),
                (None, None) => "—".to_owned(),
            };
            let flags: Vec<&str> =
                task.flags.iter().filter(|f| f.needs_review()).map(|f| f.as_str()).collect();
            vec![
                task.line.to_string(),
                format!("{:.2}", task.confidence),
                flags.join(","),
                task.lead.clone().unwrap_or_else(|| "?".to_owned()),
                deadline,
                task.deadline_phrase.clone().unwrap_or_default(),
                task.summary.clone(),
            ]
        })
        .collect();
    table::print(&["DÒNG", "TIN CẬY", "XEM LẠI", "CHỦ TRÌ", "HẠN", "CỤM TỪ THỜI HẠN", "NHIỆM VỤ"], &rows);
    outln!();
}
