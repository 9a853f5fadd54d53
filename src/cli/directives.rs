//! `nhacviec directive add|list`.

use std::path::Path;

use anyhow::Context;

use super::{Format, InputError, open_store, table};
use crate::app::commands::{Actor, Changes};
use crate::app::views::DirectiveView;
use crate::config::Settings;
use crate::directive_file;

pub async fn add(settings: &Settings, file: &Path) -> anyhow::Result<()> {
    let name = file.display().to_string();
    let text = std::fs::read_to_string(file).map_err(|e| InputError(format!("cannot read {name}: {e}")))?;
    let directive = directive_file::parse(&text, &name, &settings.departments, &settings.calendar.calendar)
        .map_err(|e| InputError(e.to_string()))?;
    let with_deadline = directive.tasks.iter().filter(|t| t.deadline.is_some()).count();
    let count = directive.tasks.len();
    let store = open_store(settings).await?;
    let changes = Changes::new(&store, settings, Actor::cli());
    let (id, tasks) = changes
        .add_directive(directive)
        .await
        .map_err(super::tasks::change_error)
        .context("cannot add the directive")?;
    crate::store::wake_running_daemon(&settings.store.url);
    outln!(
        "directive {} added: {} tasks ({} with a deadline), ids {}–{}",
        id.0,
        count,
        with_deadline,
        tasks.first().map_or(0, |t| t.0),
        tasks.last().map_or(0, |t| t.0)
    );
    Ok(())
}

pub async fn list(settings: &Settings, format: Format) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    let rows: Vec<DirectiveView> =
        store.directives().await?.into_iter().map(|(d, tasks)| DirectiveView::new(d, tasks)).collect();
    match format {
        Format::Json => table::print_json(&rows),
        Format::Table => {
            let cells: Vec<Vec<String>> = rows
                .iter()
                .map(|r| {
                    vec![
                        r.id.to_string(),
                        r.number.clone().unwrap_or_default(),
                        r.issued_on.to_string(),
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
