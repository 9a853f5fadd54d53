//! `nhacviec directive add|list`.

use std::path::Path;

use anyhow::Context;
use chrono::Utc;
use serde::Serialize;

use super::{Format, InputError, open_store, table};
use crate::config::Settings;
use crate::directive_file;
use crate::plan::{self, Policy};

pub async fn add(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| InputError(format!("cannot read {name}: {e}")))?;
    let mut directive =
        directive_file::parse(&text, &name, &settings.departments, &settings.calendar.calendar)
            .map_err(|e| InputError(e.to_string()))?;
    let policy = Policy::from_settings(settings);
    for task in &mut directive.tasks {
        let unsaved = task.as_unsaved_task(Utc::now());
        task.next_reminder_at =
            plan::first_planning_at(&unsaved, settings.departments.escalate_to(&task.lead), &policy);
    }
    let store = open_store(settings).await?;
    let (id, tasks) =
        store.add_directive(&directive, Utc::now()).await.context("cannot add the directive")?;
    crate::daemon::wake_running_daemon(settings);
    let with_deadline = directive.tasks.iter().filter(|t| t.deadline.is_some()).count();
    outln!(
        "directive {} added: {} tasks ({} with a deadline), ids {}–{}",
        id.0,
        tasks.len(),
        with_deadline,
        tasks.first().map_or(0, |t| t.0),
        tasks.last().map_or(0, |t| t.0)
    );
    Ok(())
}

#[derive(Serialize)]
struct DirectiveRow {
    id: i64,
    number: Option<String>,
    title: String,
    issuer: String,
    issued_on: String,
    tasks: i64,
}

pub async fn list(settings: &Settings, format: Format) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let rows: Vec<DirectiveRow> = store
        .directives()
        .await?
        .into_iter()
        .map(|(d, tasks)| DirectiveRow {
            id: d.id.0,
            number: d.number,
            title: d.title,
            issuer: d.issuer,
            issued_on: d.issued_on.to_string(),
            tasks,
        })
        .collect();
    match format {
        Format::Json => table::print_json(&rows),
        Format::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.number.clone().unwrap_or_default(),
                        r.issued_on.clone(),
                        r.issuer.clone(),
                        r.tasks.to_string(),
                        r.title.clone(),
                    ]
                })
                .collect();
            table::print(&["ID", "SỐ", "NGÀY", "CƠ QUAN BAN HÀNH", "NHIỆM VỤ", "TRÍCH YẾU"], &cells);
            Ok(())
        }
    }
}
