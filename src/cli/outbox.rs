//! `nhacviec outbox list|retry`.

use chrono::Utc;
use clap::Args;

use super::{Format, InputError, open_store, table};
use crate::config::Settings;
use crate::domain::TaskId;
use crate::outbox::OutboxState;
use crate::plan::{Policy, next_send_moment};
use crate::store::StoreError;

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Only items in this state.
    #[arg(long, value_parser = ["pending", "sending", "sent", "dead", "cancelled"])]
    state: Option<String>,
    /// Only items of this task.
    #[arg(long)]
    task: Option<i64>,
    /// At most this many items.
    #[arg(long, default_value_t = 1000)]
    limit: u32,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn list(settings: &Settings, args: &ListArgs) -> anyhow::Result<()> {
    let state = args.state.as_deref().and_then(OutboxState::parse);
    let store = open_store(settings).await?;
    let items = store.outbox(state, args.task.map(TaskId), args.limit).await?;
    match args.format {
        Format::Json => table::print_json(&items),
        Format::Table => {
            let local = |at: chrono::DateTime<Utc>| {
                at.with_timezone(&settings.timezone).format("%d/%m/%Y %H:%M").to_string()
            };
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    vec![
                        i.id.to_string(),
                        i.state.as_str().to_owned(),
                        i.task_id.map(|t| t.to_string()).unwrap_or_default(),
                        i.department.to_string(),
                        i.role.as_str().to_owned(),
                        i.rule.to_string(),
                        i.channel.clone(),
                        local(i.send_after),
                        i.attempts.to_string(),
                        i.last_error.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            table::print(
                &[
                    "ID",
                    "STATE",
                    "TASK",
                    "DEPARTMENT",
                    "ROLE",
                    "RULE",
                    "CHANNEL",
                    "SEND AFTER",
                    "ATTEMPTS",
                    "LAST ERROR",
                ],
                &rows,
            );
            Ok(())
        }
    }
}

pub async fn retry(settings: &Settings, id: i64) -> anyhow::Result<()> {
    let policy = Policy::from_settings(settings);
    let store = open_store(settings).await?;
    let at = next_send_moment(Utc::now(), &policy, &policy.calendar);
    let state = store.retry(id, at).await.map_err(|e| match e {
        StoreError::NoSuchOutboxItem(id) => {
            anyhow::Error::from(InputError(format!("no outbox item with id {id}")))
        }
        other => other.into(),
    })?;
    match state {
        OutboxState::Dead | OutboxState::Cancelled => {
            let local = at.with_timezone(&settings.timezone).format("%d/%m/%Y %H:%M");
            outln!("outbox item {id} ({}) is pending again; it goes out from {local}", state.as_str());
            Ok(())
        }
        other => Err(InputError(format!(
            "outbox item {id} is {}: only dead or cancelled items can be retried",
            other.as_str()
        ))
        .into()),
    }
}
