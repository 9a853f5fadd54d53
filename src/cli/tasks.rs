//! `nhacviec task list|show|done|extend`.

use chrono::{NaiveDate, Utc};
use clap::Args;
use serde::Serialize;

use super::{Format, InputError, open_store, parse_date, table};
use crate::app::commands::{Actor, ChangeError, Changes, DoneInput, ExtendInput};
use crate::app::views::{TaskView, view};
use crate::config::Settings;
use crate::domain::{DepartmentCode, DirectiveId, TaskId};
use crate::store::{StoreError, TaskEvent, TaskFilter};

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only tasks this department leads or coordinates (code, name or alias).
    #[arg(long)]
    department: Option<String>,
    /// Only open tasks past their deadline.
    #[arg(long)]
    overdue: bool,
    /// Only tasks due on or before this date (YYYY-MM-DD).
    #[arg(long, value_parser = parse_date)]
    due_before: Option<NaiveDate>,
    /// Only tasks of this directive.
    #[arg(long)]
    directive: Option<i64>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the list to this file, as Excel (.xlsx) or CSV (.csv) by its extension.
    #[arg(long)]
    export: Option<std::path::PathBuf>,
}

fn department(settings: &Settings, label: &str) -> Result<DepartmentCode, InputError> {
    settings.departments.resolve(label).map(|d| d.code.clone()).ok_or_else(|| {
        InputError(format!("unknown department '{label}': use a code, name or alias from the config"))
    })
}

pub async fn list(settings: &Settings, args: &ListArgs) -> anyhow::Result<()> {
    let today = Utc::now().with_timezone(&settings.timezone).date_naive();
    let filter = TaskFilter {
        department: args.department.as_deref().map(|d| department(settings, d)).transpose()?,
        overdue_on: args.overdue.then_some(today),
        due_before: args.due_before,
        directive: args.directive.map(DirectiveId),
        ..TaskFilter::default()
    };
    let store = open_store(settings).await?;
    let views: Vec<TaskView> = store.tasks(&filter).await?.iter().map(|r| view(r, settings)).collect();
    if let Some(path) = &args.export {
        return super::export(&sheet(&views), path);
    }
    match args.format {
        Format::Json => table::print_json(&views),
        Format::Table => {
            let rows: Vec<Vec<String>> = views
                .iter()
                .map(|v| {
                    vec![
                        v.id.to_string(),
                        v.status.to_owned(),
                        v.deadline.map(|d| d.format("%d/%m/%Y").to_string()).unwrap_or_else(|| "—".into()),
                        v.lead.clone(),
                        v.coordinating.join(","),
                        v.summary.clone(),
                    ]
                })
                .collect();
            table::print(&["ID", "TRẠNG THÁI", "HẠN", "CHỦ TRÌ", "PHỐI HỢP", "NHIỆM VỤ"], &rows);
            Ok(())
        }
    }
}

/// A list of tasks as a sheet, a row each.
fn sheet(views: &[TaskView]) -> crate::export::Sheet {
    use crate::export::Cell;
    crate::export::Sheet {
        title: "Nhiệm vụ".to_owned(),
        headers: ["Mã", "Trạng thái", "Hạn", "Chủ trì", "Phối hợp", "Nhiệm vụ"].map(str::to_owned).to_vec(),
        rows: views
            .iter()
            .map(|v| {
                vec![
                    Cell::Number(v.id as f64),
                    v.status.into(),
                    v.deadline.into(),
                    v.lead.clone().into(),
                    v.coordinating.join(", ").into(),
                    v.summary.clone().into(),
                ]
            })
            .collect(),
    }
}

fn not_found(error: StoreError) -> anyhow::Error {
    match error {
        StoreError::NoSuchTask(id) => {
            InputError(format!("no task with id {id}: see `nhacviec task list`")).into()
        }
        other => other.into(),
    }
}

pub async fn show(settings: &Settings, id: i64, format: Format) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let record = store.task(TaskId(id)).await.map_err(not_found)?;
    let events = store.task_events(TaskId(id)).await?;
    #[derive(Serialize)]
    struct Shown {
        #[serde(flatten)]
        task: TaskView,
        history: Vec<TaskEvent>,
    }
    let shown = Shown { task: view(&record, settings), history: events };
    match format {
        Format::Json => table::print_json(&shown),
        Format::Table => {
            let t = &shown.task;
            outln!("Nhiệm vụ {}: {}", t.id, t.summary);
            if let Some(details) = &t.details {
                outln!("Nội dung: {details}");
            }
            outln!(
                "Văn bản: {}{}",
                t.directive_id,
                t.section.as_deref().map(|s| format!(", mục {s}")).unwrap_or_default()
            );
            outln!("Chủ trì: {}", t.lead);
            if !t.coordinating.is_empty() {
                outln!("Phối hợp: {}", t.coordinating.join(", "));
            }
            match (t.deadline, &t.deadline_phrase) {
                (Some(d), Some(p)) => outln!("Hạn: {} ({p})", d.format("%d/%m/%Y")),
                (Some(d), None) => outln!("Hạn: {}", d.format("%d/%m/%Y")),
                _ => outln!("Hạn: không có"),
            }
            outln!("Trạng thái: {}", t.status);
            if let Some(next) = &t.next_reminder_at {
                outln!("Lần lập kế hoạch nhắc tiếp theo: {next}");
            }
            outln!("Lịch sử:");
            for event in &shown.history {
                let at = event.at.with_timezone(&settings.timezone).format("%d/%m/%Y %H:%M");
                outln!("  {at}  {}  {}", event.kind, event.detail.as_deref().unwrap_or(""));
            }
            Ok(())
        }
    }
}

/// A change's error as the command line reports it: the input's fault or the store's.
pub fn change_error(error: ChangeError) -> anyhow::Error {
    match error {
        ChangeError::NotFound { what: "task", id } => {
            InputError(format!("no task with id {id}: see `nhacviec task list`")).into()
        }
        ChangeError::Store(error) => anyhow::Error::new(error),
        ChangeError::Invalid(problems) => InputError(
            problems.iter().map(|p| format!("--{}: {}", p.field, p.message)).collect::<Vec<_>>().join("\n"),
        )
        .into(),
        other => InputError(other.to_string()).into(),
    }
}

fn changes<'a>(store: &'a crate::store::Store, settings: &'a Settings) -> Changes<'a> {
    Changes::new(store, settings, Actor::cli())
}

pub async fn done(
    settings: &Settings,
    id: i64,
    on: Option<NaiveDate>,
    note: Option<String>,
) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let done = changes(&store, settings)
        .mark_done(TaskId(id), DoneInput { on, note })
        .await
        .map_err(change_error)?;
    if done {
        crate::store::wake_running_daemon(&settings.store.url);
        outln!("task {id} done; its pending reminders are cancelled");
    } else {
        outln!("task {id} was already done");
    }
    Ok(())
}

pub async fn extend(
    settings: &Settings,
    id: i64,
    to: &str,
    reason: &str,
    phrase: Option<String>,
) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let input = ExtendInput { to: to.to_owned(), reason: reason.to_owned(), phrase };
    let deadline = changes(&store, settings).extend(TaskId(id), input).await.map_err(change_error)?;
    crate::store::wake_running_daemon(&settings.store.url);
    outln!(
        "task {id} now due {}; pending reminders for the old deadline are cancelled",
        deadline.date.format("%d/%m/%Y")
    );
    Ok(())
}
