//! `GET /board`: the supervising office's follow-up board (theo dõi): per lead department,
//! the counts the Government Office's reports use (done on time, done late, open within
//! the deadline, open overdue, due within 7 days) with their percentages, filtered by
//! directive, department, period (the directives' dates) and status; a chart of the
//! counts drawn on the server (SVG, no script); each count opens its list; the board and
//! every list export to XLSX and CSV.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::tasks::{TaskRow, task_row};
use super::{AppState, Visitor, message, store_failed};
use crate::app::board::{self, Figure};
use crate::config::Settings;
use crate::domain::{DepartmentCode, DirectiveId, TaskId};
use crate::export::{Cell, ExportFormat, Sheet};
use crate::message::DepartmentNames;
use crate::plan::Policy;
use crate::store::BoardFilter;
use crate::summary::Figures;

/// Directives the board's filter offers: the newest.
const DIRECTIVES_LISTED: u32 = 300;

/// Tasks on one page of a list.
const PAGE: u32 = 100;
/// The most tasks a list's export holds.
const EXPORT_LIMIT: u32 = 200_000;

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/board", get(board_page))
        .route("/board/export/{format}", get(board_export))
        .route("/board/list", get(list_page))
        .route("/board/list/export/{format}", get(list_export))
}

/// The board's filters as the query gives them; each checked with its field named.
#[derive(Debug, Default, Deserialize, Serialize, Clone)]
struct Filters {
    directive: Option<String>,
    department: Option<String>,
    from: Option<String>,
    to: Option<String>,
    status: Option<String>,
    /// The day the figures are as of: today by default.
    at: Option<String>,
    after: Option<String>,
}

/// Filters checked.
struct Checked {
    filter: BoardFilter,
    status: Option<Figure>,
    today: NaiveDate,
    after: TaskId,
}

fn blank(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

fn check(filters: &Filters, settings: &Settings, policy: &Policy) -> Result<Checked, String> {
    let date = |field: &str, text: &Option<String>| -> Result<Option<NaiveDate>, String> {
        blank(text)
            .map(|t| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| format!("{field}: '{t}' không phải một ngày (năm-tháng-ngày)"))
            })
            .transpose()
    };
    let directive = blank(&filters.directive)
        .map(|t| {
            t.parse::<i64>().map(DirectiveId).map_err(|_| format!("Văn bản: '{t}' không phải mã văn bản"))
        })
        .transpose()?;
    let lead = blank(&filters.department)
        .map(|t| match DepartmentCode::parse(t) {
            Ok(code) if settings.departments.get(&code).is_some() => Ok(code),
            _ => Err(format!("Đơn vị: không có đơn vị mã '{t}'")),
        })
        .transpose()?;
    let status = blank(&filters.status)
        .map(|t| Figure::parse(t).ok_or_else(|| format!("Tình trạng: '{t}' không phải một tình trạng")))
        .transpose()?;
    let after = blank(&filters.after)
        .map(|t| t.parse::<i64>().map(TaskId).map_err(|_| format!("Trang: '{t}' không hợp lệ")))
        .transpose()?
        .unwrap_or(TaskId(0));
    let today = date("Ngày", &filters.at)?.unwrap_or_else(|| policy.local_date(Utc::now()));
    let (issued_from, issued_to) = (date("Từ ngày", &filters.from)?, date("Đến ngày", &filters.to)?);
    if let (Some(from), Some(to)) = (issued_from, issued_to)
        && from > to
    {
        return Err("Kỳ báo cáo: ngày bắt đầu sau ngày kết thúc".to_owned());
    }
    Ok(Checked { filter: BoardFilter { directive, lead, issued_from, issued_to }, status, today, after })
}

/// Only the office sees the board; a department's people are sent to their desk.
/// What every page of the board starts with: the office only, the running settings and
/// policy, the filters checked.
fn opened(
    state: &AppState,
    visitor: &Visitor,
    filters: &Filters,
) -> Result<(Arc<Settings>, Policy, Checked), super::Refusal> {
    if let Some(refused) = super::office_only(
        state,
        visitor,
        "Trang theo dõi dành cho Văn phòng. Xem nhiệm vụ của đơn vị ở Bàn làm việc.",
    ) {
        return Err(Box::new(refused));
    }
    let settings = state.settings();
    let policy = Policy::from_settings(&settings);
    let checked = check(filters, &settings, &policy).map_err(|problem| {
        Box::new(message(state, StatusCode::BAD_REQUEST, Some(visitor), "Bộ lọc không hợp lệ", &problem))
    })?;
    Ok((settings, policy, checked))
}

#[derive(Debug, Serialize)]
struct BoardRow {
    department: String,
    department_name: String,
    /// The name cut to fit the chart's labels.
    short_name: String,
    total: usize,
    open_in_time: usize,
    #[serde(flatten)]
    figures: Figures,
    percent: Percentages,
    /// The chart's bar: its segments, left to right.
    bars: Vec<Segment>,
    /// The query of each count's list.
    links: Links,
}

/// The query string of each count's list, with the board's filters.
#[derive(Debug, Serialize)]
struct Links {
    all: String,
    done_on_time: String,
    done_late: String,
    open_in_time: String,
    overdue: String,
    due_within_7_days: String,
}

fn links(filters: &Filters, department: Option<&str>) -> Links {
    let list = |status: &str| {
        let mut changes = vec![("status", status), ("after", "")];
        if let Some(department) = department {
            changes.push(("department", department));
        }
        query_with(filters, &changes)
    };
    Links {
        all: list("all"),
        done_on_time: list("done_on_time"),
        done_late: list("done_late"),
        open_in_time: list("open_in_time"),
        overdue: list("overdue"),
        due_within_7_days: list("due_within_7_days"),
    }
}

/// Each count as a share of the department's tasks, in whole percent (one decimal).
#[derive(Debug, Serialize)]
struct Percentages {
    done_on_time: String,
    done_late: String,
    open_in_time: String,
    overdue: String,
    due_within_7_days: String,
}

/// One count's part of a department's bar.
#[derive(Debug, Serialize)]
struct Segment {
    x: f64,
    width: f64,
    fill: &'static str,
    label: &'static str,
    count: usize,
}

/// The chart's parts, with colours told apart without colour vision too (the legend and
/// each segment's title name them).
const SEGMENTS: [(&str, &str); 4] = [
    ("Hoàn thành đúng hạn", "#1a7f37"),
    ("Hoàn thành quá hạn", "#bf8700"),
    ("Đang thực hiện trong hạn", "#0969da"),
    ("Đang thực hiện quá hạn", "#cf222e"),
];

fn segments(counts: [usize; 4], scale: f64) -> Vec<Segment> {
    let mut x = 0.0;
    counts
        .into_iter()
        .zip(SEGMENTS)
        .filter(|(count, _)| *count > 0)
        .map(|(count, (label, fill))| {
            let width = (count as f64 * scale * 10.0).round() / 10.0;
            let segment = Segment { x, width, fill, label, count };
            x += width;
            segment
        })
        .collect()
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "0".to_owned();
    }
    let tenths = (part as f64 * 1000.0 / whole as f64).round() / 10.0;
    format!("{tenths}").replace('.', ",")
}

/// The chart's width for the largest department.
const CHART_WIDTH: f64 = 600.0;

fn rows(
    figures: &crate::summary::Summary,
    settings: &Settings,
    status: Option<Figure>,
    filters: &Filters,
) -> Vec<BoardRow> {
    let largest = figures
        .by_department
        .values()
        .map(|f| f.open + f.done_on_time + f.done_late)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = CHART_WIDTH / largest as f64;
    figures
        .by_department
        .iter()
        .map(|(code, f)| (code, f, f.open + f.done_on_time + f.done_late, f.open.saturating_sub(f.overdue)))
        .filter(|(_, f, _, open_in_time)| match status {
            None | Some(Figure::All) => true,
            Some(Figure::Open) => f.open > 0,
            Some(Figure::OpenInTime) => *open_in_time > 0,
            Some(Figure::Overdue) => f.overdue > 0,
            Some(Figure::DueWithin7Days) => f.due_within_7_days > 0,
            Some(Figure::DoneOnTime) => f.done_on_time > 0,
            Some(Figure::DoneLate) => f.done_late > 0,
        })
        .map(|(code, f, total, open_in_time)| BoardRow {
            department: code.clone(),
            department_name: settings.departments.name_of(code),
            short_name: short(&settings.departments.name_of(code), 30),
            total,
            open_in_time,
            percent: Percentages {
                done_on_time: percent(f.done_on_time, total),
                done_late: percent(f.done_late, total),
                open_in_time: percent(open_in_time, total),
                overdue: percent(f.overdue, total),
                due_within_7_days: percent(f.due_within_7_days, total),
            },
            links: links(filters, Some(code)),
            bars: segments([f.done_on_time, f.done_late, open_in_time, f.overdue], scale),
            figures: f.clone(),
        })
        .collect()
}

/// `text` cut to `chars` characters, with an ellipsis when cut.
fn short(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    text.chars().take(chars - 1).collect::<String>() + "…"
}

/// The query string of `filters` with `changes`, for the links of the page.
fn query_with(filters: &Filters, changes: &[(&str, &str)]) -> String {
    let mut pairs = form_urlencoded::Serializer::new(String::new());
    let mut fields: Vec<(&str, Option<&str>)> = vec![
        ("directive", blank(&filters.directive)),
        ("department", blank(&filters.department)),
        ("from", blank(&filters.from)),
        ("to", blank(&filters.to)),
        ("status", blank(&filters.status)),
        ("at", blank(&filters.at)),
    ];
    for (name, value) in changes {
        match fields.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = Some(*value).filter(|v| !v.is_empty()),
            None => fields.push((name, Some(value))),
        }
    }
    for (name, value) in fields {
        if let Some(value) = value {
            pairs.append_pair(name, value);
        }
    }
    pairs.finish()
}

async fn board_page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    axum::extract::Query(filters): axum::extract::Query<Filters>,
) -> Response {
    let (settings, policy, checked) = match opened(&state, &visitor, &filters) {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    let store = state.store();
    let read = async {
        let figures = board::figures(store, &policy, &checked.filter, checked.today).await?;
        // The newest directives to filter by, and the one chosen, however old.
        let mut directives = store.recent_directives(DIRECTIVES_LISTED).await?;
        if let Some(chosen) = checked.filter.directive
            && !directives.iter().any(|d| d.id == chosen)
            && let Some(directive) = store.directive(chosen).await?
        {
            directives.push(directive);
        }
        let pending = store.pending_extensions(1_000).await?;
        Ok::<_, crate::store::StoreError>((figures, directives, pending.len()))
    };
    let (figures, directives, pending) = match read.await {
        Ok(read) => read,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let rows = rows(&figures, &settings, checked.status, &filters);
    let total = &figures.total;
    let all = total.open + total.done_on_time + total.done_late;
    let departments: Vec<_> = settings
        .departments
        .iter()
        .map(|d| minijinja::context! { code => d.code.to_string(), name => d.name.clone() })
        .collect();
    let directives: Vec<_> =
        directives.iter().map(|d| minijinja::context! { id => d.id.0, label => d.citation() }).collect();
    let figure_links: Vec<_> = Figure::ALL
        .iter()
        .map(|f| minijinja::context! { id => f.as_str(), label => f.vietnamese() })
        .collect();
    let context = minijinja::context! {
        title => "Theo dõi thực hiện nhiệm vụ",
        today => super::day(checked.today),
        rows => super::value(&rows),
        total => minijinja::context! {
            all,
            open_in_time => total.open.saturating_sub(total.overdue),
            figures => super::value(total),
            percent => minijinja::context! {
                done_on_time => percent(total.done_on_time, all),
                done_late => percent(total.done_late, all),
                open_in_time => percent(total.open.saturating_sub(total.overdue), all),
                overdue => percent(total.overdue, all),
                due_within_7_days => percent(total.due_within_7_days, all),
            },
        },
        filters => super::value(&filters),
        links => super::value(&links(&filters, None)),
        query => query_with(&filters, &[]),
        departments,
        directives,
        figures => figure_links,
        pending,
        chart_width => CHART_WIDTH,
        legend => SEGMENTS.iter().map(|(label, fill)| minijinja::context! { label => *label, fill => *fill }).collect::<Vec<_>>(),
    };
    super::render(&state, StatusCode::OK, "board.html", Some(&visitor), context)
}

fn download(format: ExportFormat, name: &str, sheet: &Sheet) -> Response {
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    };
    match format.write(sheet) {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, content_type.to_owned()),
                (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}.{extension}\"")),
                (header::CACHE_CONTROL, "no-store".to_owned()),
            ],
            bytes,
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "cannot write an export");
            (StatusCode::INTERNAL_SERVER_ERROR, "cannot write the export").into_response()
        }
    }
}

fn format_of(text: &str) -> Option<ExportFormat> {
    match text {
        "xlsx" => Some(ExportFormat::Xlsx),
        "csv" => Some(ExportFormat::Csv),
        _ => None,
    }
}

async fn board_export(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(format): Path<String>,
    axum::extract::Query(filters): axum::extract::Query<Filters>,
) -> Response {
    let (settings, policy, checked) = match opened(&state, &visitor, &filters) {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    let Some(format) = format_of(&format) else { return super::not_found(&state, Some(&visitor)) };
    match board::figures(state.store(), &policy, &checked.filter, checked.today).await {
        Ok(figures) => {
            let sheet = crate::app::views::summary_sheet(checked.today, &figures, &settings.departments);
            download(format, &format!("theo-doi-{}", checked.today.format("%Y%m%d")), &sheet)
        }
        Err(error) => store_failed(&state, Some(&visitor), error),
    }
}

/// The list's figure: the status filter, all tasks without one.
fn figure_of(checked: &Checked) -> Figure {
    checked.status.unwrap_or(Figure::All)
}

async fn list_page(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    axum::extract::Query(filters): axum::extract::Query<Filters>,
) -> Response {
    let (settings, policy, checked) = match opened(&state, &visitor, &filters) {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    let figure = figure_of(&checked);
    let store = state.store();
    let read = async {
        let (records, more) =
            board::list(store, &policy, &checked.filter, figure, checked.today, checked.after, PAGE).await?;
        let mut ids: Vec<i64> = records.iter().map(|r| r.task.directive_id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let directives = store.directives_by_ids(&ids).await?;
        Ok::<_, crate::store::StoreError>((records, more, directives))
    };
    let (records, more, directives) = match read.await {
        Ok(read) => read,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let rows: Vec<TaskRow> = records
        .iter()
        .map(|r| task_row(r, directives.get(&r.task.directive_id.0), &settings, &policy, checked.today))
        .collect();
    let next = more
        .then(|| records.last().map(|r| query_with(&filters, &[("after", &r.task.id.0.to_string())])))
        .flatten();
    let heading = match &checked.filter.lead {
        Some(lead) => format!("{}: {}", figure.vietnamese(), settings.departments.name_of(lead.as_str())),
        None => figure.vietnamese().to_owned(),
    };
    let context = minijinja::context! {
        title => heading,
        today => super::day(checked.today),
        tasks => super::value(&rows),
        next,
        first => (checked.after.0 > 0).then(|| query_with(&filters, &[("after", "")])),
        query => query_with(&filters, &[("after", "")]),
        board => query_with(&filters, &[("status", ""), ("after", "")]),
    };
    super::render(&state, StatusCode::OK, "list.html", Some(&visitor), context)
}

async fn list_export(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(format): Path<String>,
    axum::extract::Query(filters): axum::extract::Query<Filters>,
) -> Response {
    let (settings, policy, checked) = match opened(&state, &visitor, &filters) {
        Ok(opened) => opened,
        Err(refused) => return *refused,
    };
    let Some(format) = format_of(&format) else { return super::not_found(&state, Some(&visitor)) };
    let figure = figure_of(&checked);
    let store = state.store();
    let read = async {
        let (records, _) =
            board::list(store, &policy, &checked.filter, figure, checked.today, TaskId(0), EXPORT_LIMIT)
                .await?;
        let mut ids: Vec<i64> = records.iter().map(|r| r.task.directive_id.0).collect();
        ids.sort_unstable();
        ids.dedup();
        let directives = store.directives_by_ids(&ids).await?;
        Ok::<_, crate::store::StoreError>((records, directives))
    };
    let (records, directives) = match read.await {
        Ok(read) => read,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let sheet = Sheet {
        title: figure.vietnamese().chars().take(31).collect(),
        headers: [
            "Mã",
            "Văn bản",
            "Nhiệm vụ",
            "Đơn vị chủ trì",
            "Đơn vị phối hợp",
            "Thời hạn",
            "Trạng thái",
            "Ngày hoàn thành",
        ]
        .map(str::to_owned)
        .to_vec(),
        rows: records
            .iter()
            .map(|r| {
                let task = &r.task;
                vec![
                    Cell::Number(task.id.0 as f64),
                    directives.get(&task.directive_id.0).map(|d| d.citation()).unwrap_or_default().into(),
                    task.summary.clone().into(),
                    settings.departments.name_of(task.lead.as_str()).into(),
                    task.coordinating
                        .iter()
                        .map(|c| settings.departments.name_of(c.as_str()))
                        .collect::<Vec<_>>()
                        .join(", ")
                        .into(),
                    task.deadline.as_ref().map(|d| d.date).into(),
                    match (
                        task.status,
                        crate::summary::done_late(
                            &policy,
                            task.deadline.as_ref().map(|d| d.date),
                            task.done_on,
                        ),
                    ) {
                        (crate::domain::TaskStatus::Open, _) => "Đang thực hiện",
                        (_, true) => "Hoàn thành quá hạn",
                        (_, false) => "Hoàn thành đúng hạn",
                    }
                    .into(),
                    task.done_on.into(),
                ]
            })
            .collect(),
    };
    download(format, &format!("danh-sach-{}-{}", figure.as_str(), checked.today.format("%Y%m%d")), &sheet)
}
