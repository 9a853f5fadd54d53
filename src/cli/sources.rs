//! `nhacviec sources`: each configured source with its last poll, cursor, counts and last
//! error; `nhacviec draft list|show|accept|reject`: what the sources left for a person.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use serde::Serialize;

use super::{Format, InputError, open_store, table};
use crate::app::drafts::{DraftContent, DraftError};
use crate::app::input::DirectiveFields;
use crate::app::{Actor, ChangeError, Changes};
use crate::config::{Poll, Settings, SourceKind};
use crate::store::{DraftRecord, SourceState, StoreError};

/// A source as `nhacviec sources` shows it: its config and what the store knows of it.
#[derive(Debug, Serialize)]
struct SourceView {
    name: String,
    kind: &'static str,
    mode: &'static str,
    poll: String,
    place: String,
    #[serde(flatten)]
    state: SourceState,
}

pub async fn list(settings: &Settings, format: Format) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let mut views = Vec::with_capacity(settings.sources.len());
    for source in &settings.sources {
        let state = store.source_state(&source.name).await?;
        views.push(SourceView {
            name: source.name.clone(),
            kind: source.kind.name(),
            mode: source.mode.as_str(),
            poll: match &source.poll {
                Poll::Every(every) => format!("every {}", humantime::format_duration(*every)),
                Poll::Cron(cron) => format!("cron {}", cron.pattern),
            },
            place: match &source.kind {
                SourceKind::Folder(folder) => folder.path.display().to_string(),
                // The engine only: the URL holds a password.
                SourceKind::Sql(sql) => match sql.engine {
                    crate::config::SqlEngine::Postgres => "postgres".to_owned(),
                    crate::config::SqlEngine::MySql => "mysql".to_owned(),
                },
                // The address without its query or user, which may carry a key.
                SourceKind::Http(feed) => {
                    let mut url = feed.url.clone();
                    url.set_query(None);
                    let _ = url.set_username("");
                    let _ = url.set_password(None);
                    url.to_string()
                }
            },
            state,
        });
    }
    match format {
        Format::Json => table::print_json(&views),
        Format::Table => {
            let when = |at: Option<chrono::DateTime<chrono::Utc>>| {
                at.map(|at| at.with_timezone(&settings.timezone).format("%d/%m/%Y %H:%M:%S").to_string())
                    .unwrap_or_else(|| "—".to_owned())
            };
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|v| {
                    vec![
                        v.name.clone(),
                        v.kind.to_owned(),
                        v.mode.to_owned(),
                        v.poll.clone(),
                        when(v.state.last_poll_at),
                        when(v.state.last_success_at),
                        v.state.cursor.clone().unwrap_or_else(|| "—".to_owned()),
                        v.state.imported.to_string(),
                        v.state.drafts.to_string(),
                        v.state.failed.to_string(),
                        match &v.state.last_error {
                            Some(error) => format!("{} ({} lần liên tiếp)", error, v.state.failures),
                            None => "—".to_owned(),
                        },
                    ]
                })
                .collect();
            table::print(
                &[
                    "NGUỒN",
                    "LOẠI",
                    "CHẾ ĐỘ",
                    "KIỂM TRA",
                    "LẦN CUỐI",
                    "THÀNH CÔNG",
                    "CON TRỎ",
                    "ĐÃ NHẬP",
                    "BẢN NHÁP",
                    "LỖI",
                    "LỖI GẦN NHẤT",
                ],
                &rows,
            );
            Ok(())
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum DraftCommand {
    /// List drafts waiting for review (all of them with --all).
    List {
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show a draft: the directive, each task with its source line, confidence and flags.
    Show {
        id: i64,
        #[arg(long, value_enum, default_value_t = DraftFormat::Table)]
        format: DraftFormat,
    },
    /// Apply a draft, in one transaction; with --from, the corrected directive file
    /// (`draft show ID --format toml`, edited) instead.
    Accept {
        id: i64,
        #[arg(long, value_name = "FILE")]
        from: Option<PathBuf>,
    },
    /// Set a draft aside: nothing of it is applied.
    Reject {
        id: i64,
        #[arg(long)]
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DraftFormat {
    Table,
    Json,
    Toml,
}

/// A draft with what it holds, as `draft show --format json` prints it.
#[derive(Debug, Serialize)]
struct DraftView {
    #[serde(flatten)]
    record: DraftRecord,
    /// The directive and tasks it holds, with the importer's findings.
    content: DraftContent,
}

pub async fn draft(settings: &Settings, command: &DraftCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match command {
        DraftCommand::List { all, format } => {
            let drafts = store.drafts(!all).await?;
            match format {
                Format::Json => table::print_json(&drafts),
                Format::Table => {
                    let rows: Vec<Vec<String>> = drafts
                        .iter()
                        .map(|d| {
                            let tasks = DraftContent::read(d).map(|c| c.directive.tasks.len().to_string());
                            vec![
                                d.id.to_string(),
                                d.state.as_str().to_owned(),
                                d.source.clone(),
                                d.created_at
                                    .with_timezone(&settings.timezone)
                                    .format("%d/%m/%Y %H:%M")
                                    .to_string(),
                                d.directive.map(|id| id.0.to_string()).unwrap_or_else(|| "—".to_owned()),
                                tasks.unwrap_or_else(|_| "?".to_owned()),
                                d.label.clone(),
                            ]
                        })
                        .collect();
                    table::print(
                        &["ID", "TRẠNG THÁI", "NGUỒN", "NHẬN LÚC", "VĂN BẢN", "NHIỆM VỤ", "TỆP"],
                        &rows,
                    );
                    Ok(())
                }
            }
        }
        DraftCommand::Show { id, format } => {
            let record = store.draft(*id).await.map_err(not_found)?;
            let content = DraftContent::read(&record)?;
            match format {
                DraftFormat::Json => table::print_json(&DraftView { record, content }),
                DraftFormat::Toml => {
                    outln!("{}", to_directive_file(&record, &content));
                    Ok(())
                }
                DraftFormat::Table => {
                    print_draft(settings, &record, &content);
                    Ok(())
                }
            }
        }
        DraftCommand::Accept { id, from } => {
            let replacement = match from {
                Some(file) => Some(read_replacement(settings, file)?),
                None => None,
            };
            let changes = Changes::new(&store, settings, Actor::cli());
            let (directive, tasks) =
                changes.accept_draft(*id, replacement).await.map_err(|e| draft_error(*id, e))?;
            outln!("draft {id} accepted: {} tasks added to directive {}", tasks.len(), directive.0);
            crate::store::wake_running_daemon(&settings.store.url);
            Ok(())
        }
        DraftCommand::Reject { id, reason } => {
            let changes = Changes::new(&store, settings, Actor::cli());
            changes.reject_draft(*id, reason.as_deref()).await.map_err(|e| draft_error(*id, e))?;
            outln!("draft {id} rejected: nothing of it was applied");
            Ok(())
        }
    }
}

fn not_found(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::NoSuchDraft(id) => {
            InputError(format!("no draft with id {id}: see `nhacviec draft list`")).into()
        }
        other => other.into(),
    }
}

fn draft_error(id: i64, error: DraftError) -> anyhow::Error {
    match error {
        DraftError::Change(ChangeError::NotFound { what: "draft", id }) => {
            InputError(format!("no draft with id {id}: see `nhacviec draft list`")).into()
        }
        DraftError::Change(error @ ChangeError::DraftDecided { .. }) => InputError(error.to_string()).into(),
        DraftError::Change(ChangeError::Invalid(problems)) => {
            let mut lines: Vec<String> =
                problems.iter().map(|p| format!("{}: {}", p.field, p.message)).collect();
            lines.push(format!(
                "draft {id} was not applied: write it with `nhacviec draft show {id} --format toml > draft-{id}.toml`, \
                 correct it, and accept it with `nhacviec draft accept {id} --from draft-{id}.toml`"
            ));
            InputError(lines.join("\n")).into()
        }
        DraftError::Change(other) => super::tasks::change_error(other),
        other => other.into(),
    }
}

/// A corrected directive file: read as `directive add` reads one, every problem with its
/// line.
fn read_replacement(settings: &Settings, file: &std::path::Path) -> anyhow::Result<DirectiveFields> {
    let name = file.display().to_string();
    let text =
        std::fs::read_to_string(file).map_err(|e| InputError(format!("{name}: cannot read it: {e}")))?;
    let (fields, _) =
        crate::directive_file::read(&text, &name, &settings.departments, &settings.calendar.calendar)
            .map_err(|e| InputError(e.to_string()))?;
    Ok(fields)
}

fn to_directive_file(record: &DraftRecord, content: &DraftContent) -> String {
    let mut heading = vec![format!("Bản nháp {} từ nguồn {}: {}.", record.id, record.source, record.label)];
    if let Some(directive) = record.directive {
        heading.push(format!(
            "Các nhiệm vụ chưa đủ chắc chắn để tự áp dụng; chấp nhận sẽ thêm chúng vào văn bản {}.",
            directive.0
        ));
    }
    heading.push(format!("Sửa rồi chấp nhận: nhacviec draft accept {} --from TỆP.toml", record.id));
    let notes: Vec<Vec<String>> = content.findings.iter().map(finding_notes).collect();
    crate::directive_file::write(&content.directive, &heading, &notes)
}

fn finding_notes(finding: &crate::app::drafts::Finding) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(line) = finding.line {
        parts.push(format!("dòng {line}"));
    }
    if let Some(confidence) = finding.confidence {
        parts.push(format!("độ tin cậy {confidence:.2}"));
    }
    if !finding.flags.is_empty() {
        parts.push(format!("xem lại: {}", finding.flags.join(", ")));
    }
    let mut notes = Vec::new();
    if !parts.is_empty() {
        notes.push(parts.join("; "));
    }
    notes.extend(finding.problems.iter().map(|p| format!("lỗi: {p}")));
    notes
}

fn print_draft(settings: &Settings, record: &DraftRecord, content: &DraftContent) {
    let fields = &content.directive;
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "—".to_owned());
    outln!("bản nháp {} ({}) từ nguồn {}: {}", record.id, record.state.as_str(), record.source, record.label);
    outln!("  nhận lúc: {}", record.created_at.with_timezone(&settings.timezone).format("%d/%m/%Y %H:%M:%S"));
    if let Some(directive) = record.directive {
        outln!("  phần còn lại của văn bản {} (các nhiệm vụ chắc chắn đã được áp dụng)", directive.0);
    }
    if let Some(encoding) = &content.encoding {
        outln!("  bảng mã: {encoding}");
    }
    outln!("  số: {}", or_dash(fields.number.clone()));
    outln!("  trích yếu: {}", or_dash(fields.title.clone()));
    outln!("  cơ quan ban hành: {}", or_dash(fields.issuer.clone()));
    outln!("  ngày ban hành: {}", or_dash(fields.issued_on.map(|d| d.format("%d/%m/%Y").to_string())));
    if let Some(by) = &record.decided_by {
        outln!(
            "  quyết định bởi: {by}{}",
            record.reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default()
        );
    }
    outln!();
    let rows: Vec<Vec<String>> = fields
        .tasks
        .iter()
        .zip(content.findings.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(task, finding)| {
            let finding = finding.cloned().unwrap_or_default();
            let mut check: Vec<String> = finding.flags.clone();
            check.extend(finding.problems.iter().cloned());
            vec![
                finding.line.map(|l| l.to_string()).unwrap_or_default(),
                finding.confidence.map(|c| format!("{c:.2}")).unwrap_or_default(),
                check.join("; "),
                or_dash(task.lead.clone()),
                or_dash(task.deadline.clone()),
                task.deadline_phrase.clone().unwrap_or_default(),
                task.summary.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table::print(&["DÒNG", "TIN CẬY", "XEM LẠI", "CHỦ TRÌ", "HẠN", "CỤM TỪ THỜI HẠN", "NHIỆM VỤ"], &rows);
}
