//! `nhacviec preview`: every reminder the schedule calls for between two dates, as if the
//! daemon ran throughout, computed with a simulated clock. Sends nothing, writes nothing.

use chrono::NaiveDate;
use clap::Args;

use super::{Format, InputError, open_store, parse_date, table};
use crate::config::Settings;

#[derive(Args, Debug)]
pub struct PreviewArgs {
    /// First day (YYYY-MM-DD), local time.
    #[arg(long, value_parser = parse_date)]
    from: NaiveDate,
    /// Last day (YYYY-MM-DD), included.
    #[arg(long, value_parser = parse_date)]
    to: NaiveDate,
    /// Only reminders to this department (code, name or alias).
    #[arg(long)]
    department: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

pub async fn run(settings: &Settings, args: &PreviewArgs) -> anyhow::Result<()> {
    if args.to < args.from {
        return Err(InputError(format!("--to {} is before --from {}", args.to, args.from)).into());
    }
    let only = match &args.department {
        Some(label) => Some(
            settings
                .departments
                .resolve(label)
                .map(|d| d.code.clone())
                .ok_or_else(|| InputError(format!("unknown department '{label}'")))?,
        ),
        None => None,
    };
    let store = open_store(settings).await?;
    let items = crate::app::preview::preview(&store, settings, args.from, args.to, only.as_ref()).await?;
    match args.format {
        Format::Json => table::print_json(&items),
        Format::Table => {
            let rows: Vec<Vec<String>> = items
                .iter()
                .map(|i| {
                    vec![
                        i.at.get(..16).unwrap_or(&i.at).replace('T', " "),
                        i.department.clone(),
                        role_name(i.role).to_owned(),
                        i.rule.clone(),
                        i.channel.clone(),
                        i.task_id.to_string(),
                        i.deadline.format("%d/%m/%Y").to_string(),
                        i.task.clone(),
                    ]
                })
                .collect();
            table::print(
                &["GỬI LÚC", "ĐƠN VỊ", "VAI TRÒ", "QUY TẮC", "KÊNH", "NV", "HẠN", "NHIỆM VỤ"],
                &rows,
            );
            outln!("{} nhắc việc", items.len());
            Ok(())
        }
    }
}

fn role_name(role: &str) -> &'static str {
    crate::domain::Role::parse(role).map_or("?", |r| r.vietnamese())
}
