//! `nhacviec explain TASK`: for one task, every reminder its schedule calls for up to a
//! moment, and what became of each: sent, pending (and when), or skipped and why.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use clap::Args;

use super::{Format, InputError, open_store, table};
use crate::config::Settings;
use crate::domain::TaskId;
use crate::store::StoreError;

#[derive(Args, Debug)]
pub struct ExplainArgs {
    task: i64,
    /// The moment to explain at: RFC 3339, or YYYY-MM-DD[THH:MM] in local time (a day means its end); now by default.
    #[arg(long)]
    at: Option<String>,
    /// How many reminders after that moment to show.
    #[arg(long, default_value_t = 3)]
    upcoming: usize,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn parse_at(text: &str, settings: &Settings) -> Result<DateTime<Utc>, InputError> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_hms_opt(23, 59, 59).unwrap_or_default())
        })
        .map_err(|_| {
            InputError(format!("--at: '{text}' is not a moment: write YYYY-MM-DD or YYYY-MM-DDTHH:MM"))
        })?;
    settings
        .timezone
        .from_local_datetime(&local)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| InputError(format!("--at: '{text}' does not exist in {}", settings.timezone)))
}

pub async fn run(settings: &Settings, args: &ExplainArgs) -> anyhow::Result<()> {
    let at = match &args.at {
        Some(text) => parse_at(text, settings)?,
        None => Utc::now(),
    };
    let store = open_store(settings).await?;
    let record = store.task(TaskId(args.task)).await.map_err(|e| match e {
        StoreError::NoSuchTask(id) => anyhow::Error::from(InputError(format!("no task with id {id}"))),
        other => other.into(),
    })?;
    let explanation = crate::app::explain::explain(&store, settings, &record, at, args.upcoming).await?;
    let local = |t: DateTime<Utc>| t.with_timezone(&settings.timezone).format("%d/%m/%Y %H:%M").to_string();
    match args.format {
        Format::Json => table::print_json(&explanation),
        Format::Table => {
            outln!("task {}: {} ({})", explanation.task_id, explanation.task, explanation.status);
            if let Some(deadline) = explanation.deadline {
                outln!("deadline: {}", deadline.format("%d/%m/%Y"));
            }
            outln!("as of {}", local(at));
            for note in &explanation.notes {
                outln!("note: {note}");
            }
            let rows: Vec<Vec<String>> = explanation
                .reminders
                .iter()
                .map(|e| {
                    vec![
                        e.at.get(..16).unwrap_or(&e.at).replace('T', " "),
                        e.rule.clone(),
                        e.department.clone(),
                        e.role.to_owned(),
                        e.channel.clone().unwrap_or_default(),
                        e.status.clone(),
                        e.reason.clone(),
                    ]
                })
                .collect();
            table::print(&["DUE", "RULE", "DEPARTMENT", "ROLE", "CHANNEL", "STATUS", "WHY"], &rows);
            Ok(())
        }
    }
}
