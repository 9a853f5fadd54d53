//! `nhacviec summary`: the figures of the weekly summary, as of a day.

use chrono::{NaiveDate, Utc};
use clap::Args;
use serde::Serialize;

use super::{Format, open_store, parse_date, table};
use crate::config::Settings;
use crate::plan::Policy;
use crate::summary::Figures;

#[derive(Args, Debug)]
pub struct SummaryArgs {
    /// The day the figures are as of (YYYY-MM-DD); today by default.
    #[arg(long, value_parser = parse_date)]
    at: Option<NaiveDate>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write the figures to this file, as Excel (.xlsx) or CSV (.csv) by its extension.
    #[arg(long)]
    export: Option<std::path::PathBuf>,
}

#[derive(Serialize)]
struct Row {
    department: String,
    department_name: String,
    #[serde(flatten)]
    figures: Figures,
}

pub async fn run(settings: &Settings, args: &SummaryArgs) -> anyhow::Result<()> {
    let today = args.at.unwrap_or_else(|| Utc::now().with_timezone(&settings.timezone).date_naive());
    let policy = Policy::from_settings(settings);
    let store = open_store(settings).await?;
    let summary = crate::app::summary(&store, &policy, today).await?;
    let name = |code: &str| crate::message::DepartmentNames::name_of(&settings.departments, code);
    let rows: Vec<Row> = summary
        .by_department
        .iter()
        .map(|(code, figures)| Row {
            department: code.clone(),
            department_name: name(code),
            figures: figures.clone(),
        })
        .collect();
    if let Some(path) = &args.export {
        super::export(&crate::app::views::summary_sheet(today, &summary, &settings.departments), path)?;
        return Ok(());
    }
    match args.format {
        Format::Json => {
            #[derive(Serialize)]
            struct Out {
                date: NaiveDate,
                departments: Vec<Row>,
                total: Figures,
            }
            table::print_json(&Out { date: today, departments: rows, total: summary.total })
        }
        Format::Table => {
            let cell = |f: &Figures| {
                [f.open, f.due_within_7_days, f.overdue, f.done_on_time, f.done_late]
                    .map(|n| n.to_string())
                    .to_vec()
            };
            let mut lines: Vec<Vec<String>> =
                rows.iter().map(|r| [vec![r.department_name.clone()], cell(&r.figures)].concat()).collect();
            lines.push([vec!["Tổng cộng".to_owned()], cell(&summary.total)].concat());
            outln!("Tình hình thực hiện nhiệm vụ đến ngày {}", today.format("%d/%m/%Y"));
            table::print(
                &crate::app::views::SUMMARY_HEADERS.map(str::to_uppercase).each_ref().map(String::as_str),
                &lines,
            );
            Ok(())
        }
    }
}
