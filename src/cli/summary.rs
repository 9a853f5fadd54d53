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
                &[
                    "ĐƠN VỊ CHỦ TRÌ",
                    "ĐANG THỰC HIỆN",
                    "ĐẾN HẠN TRONG 7 NGÀY",
                    "QUÁ HẠN",
                    "HOÀN THÀNH ĐÚNG HẠN",
                    "HOÀN THÀNH QUÁ HẠN",
                ],
                &lines,
            );
            Ok(())
        }
    }
}
