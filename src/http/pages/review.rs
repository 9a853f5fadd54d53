//! Import review, for the supervising office: a directive's document uploaded (PDF, DOCX,
//! text) or pasted is read by the importer and kept as a draft; its page shows the
//! proposal as an editable table (lead, coordinating, deadline, recurrence) beside the
//! document's text, each finding's source line marked and flagged findings first; the
//! corrections are saved to the draft, or applied through the same checks and command as
//! every directive. Drafts from the polled sources are listed and reviewed the same way.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use serde::Serialize;

use super::{AppState, Visitor, message, moment, store_failed};
use crate::app::commands::{Actor, ChangeError, Changes};
use crate::app::drafts::{DraftContent, DraftError};
use crate::app::imports::{document_hash, intake};
use crate::app::input::DirectiveFields;
use crate::config::Settings;
use crate::domain::{Period, Recurrence};
use crate::import::{self, Setting};
use crate::store::{DraftState, StoreError};

/// Why a department's people cannot open these pages.
const IMPORTS_ARE_THE_OFFICES: &str = "Nhập văn bản do Văn phòng thực hiện.";

pub(super) fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/imports",
            get(upload_page)
                .post(upload)
                .layer(axum::extract::DefaultBodyLimit::max(import::MAX_DOCUMENT_BYTES + 64 * 1024)),
        )
        .route("/imports/drafts/{id}", get(draft_page).post(save))
}

#[derive(Serialize)]
struct DraftRow {
    id: i64,
    source: String,
    label: String,
    tasks: usize,
    created_at: String,
}

async fn upload_page(State(state): State<Arc<AppState>>, visitor: Visitor) -> Response {
    if let Some(refused) = super::office_only(&state, &visitor, IMPORTS_ARE_THE_OFFICES) {
        return refused;
    }
    let settings = state.settings();
    let drafts = match state.store().drafts(true).await {
        Ok(drafts) => drafts,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let rows: Vec<DraftRow> = drafts
        .iter()
        .rev()
        .map(|d| DraftRow {
            id: d.id,
            source: source_name(&d.source),
            label: d.label.clone(),
            tasks: DraftContent::read(d).map(|c| c.directive.tasks.len()).unwrap_or(0),
            created_at: moment(&settings, d.created_at),
        })
        .collect();
    let max_mb = import::MAX_DOCUMENT_BYTES / 1_000_000;
    super::render(
        &state,
        StatusCode::OK,
        "review.html",
        Some(&visitor),
        minijinja::context! { title => "Nhập văn bản", upload => true, drafts => super::value(&rows), max_mb },
    )
}

/// Where a draft came from, for people.
fn source_name(source: &str) -> String {
    match source.strip_prefix("page:") {
        Some(email) => format!("Tải lên ({email})"),
        None => format!("Nguồn {source}"),
    }
}

fn refused(state: &AppState, visitor: &Visitor, status: StatusCode, text: &str) -> Response {
    message(state, status, Some(visitor), "Không đọc được văn bản", text)
}

/// `POST /imports`: a document (a file, or pasted text) read into a draft.
async fn upload(State(state): State<Arc<AppState>>, visitor: Visitor, request: Request) -> Response {
    if let Some(refused) = super::office_only(&state, &visitor, IMPORTS_ARE_THE_OFFICES) {
        return refused;
    }
    let mut form = match Multipart::from_request(request, &state).await {
        Ok(form) => form,
        Err(error) => {
            return refused(
                &state,
                &visitor,
                StatusCode::BAD_REQUEST,
                &format!("Biểu mẫu không đọc được: {error}."),
            );
        }
    };
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut document: Option<(Vec<u8>, String)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                return refused(
                    &state,
                    &visitor,
                    error.status(),
                    &format!("Biểu mẫu không đọc được: {}.", error.body_text()),
                );
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        let file_name = field.file_name().map(str::to_owned);
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(error) => {
                return refused(
                    &state,
                    &visitor,
                    error.status(),
                    &format!("Tệp không đọc được: {}.", error.body_text()),
                );
            }
        };
        match (name.as_str(), file_name) {
            ("document", Some(file)) if !bytes.is_empty() => document = Some((bytes.to_vec(), file)),
            ("document", _) => {}
            _ => {
                fields.insert(name, String::from_utf8_lossy(&bytes).into_owned());
            }
        }
    }
    if !visitor.form_is_ours(&state, fields.get("form_token").map(String::as_str)) {
        return super::forged(&state, Some(&visitor));
    }
    let pasted = fields.get("text").map(|t| t.trim()).filter(|t| !t.is_empty());
    let (bytes, name) = match (document, pasted) {
        (Some(document), _) => document,
        (None, Some(text)) => (text.as_bytes().to_vec(), "văn bản dán vào".to_owned()),
        (None, None) => {
            return refused(
                &state,
                &visitor,
                StatusCode::UNPROCESSABLE_ENTITY,
                "Chọn một tệp PDF, DOCX hoặc văn bản, hoặc dán nội dung văn bản.",
            );
        }
    };
    if bytes.len() > import::MAX_DOCUMENT_BYTES {
        return refused(
            &state,
            &visitor,
            StatusCode::PAYLOAD_TOO_LARGE,
            "Tệp lớn quá: văn bản chỉ đạo không lớn đến vậy.",
        );
    }
    let settings = state.settings();
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    let (proposal, decoded) = match import::read_with_text(&bytes, &setting) {
        Ok(read) => read,
        Err(error) => {
            return refused(&state, &visitor, StatusCode::UNPROCESSABLE_ENTITY, &format!("{name}: {error}"));
        }
    };
    if proposal.tasks.is_empty() {
        return refused(
            &state,
            &visitor,
            StatusCode::UNPROCESSABLE_ENTITY,
            &format!("{name}: không tìm thấy nhiệm vụ nào trong văn bản. Đây có phải là văn bản chỉ đạo?"),
        );
    }
    let hash = document_hash(&bytes);
    // The same document imported before is that directive, not a second one.
    match state.store().directive_by_source_hash(&hash).await {
        Ok(Some(existing)) => return Redirect::to(&format!("/directives/{}", existing.0)).into_response(),
        Ok(None) => {}
        Err(error) => return store_failed(&state, Some(&visitor), error),
    }
    let Some(mut draft) = intake(&settings, &proposal, &name, &hash, None).draft else {
        return store_failed(&state, Some(&visitor), "the importer gave no draft");
    };
    draft.text = Some(decoded.text);
    let source = format!("page:{}", visitor.person.email);
    match state.store().add_draft(&source, &name, &draft.to_json(), Utc::now()).await {
        Ok(id) => Redirect::to(&format!("/imports/drafts/{id}")).into_response(),
        Err(error) => store_failed(&state, Some(&visitor), error),
    }
}

/// One task of a draft as its row in the table.
#[derive(Serialize)]
struct TaskRow {
    index: usize,
    keep: bool,
    summary: String,
    lead: String,
    /// The lead as written, when no department has it.
    lead_unknown: Option<String>,
    coordinating: String,
    deadline: String,
    phrase: String,
    every: &'static str,
    day: String,
    month: String,
    line: Option<usize>,
    confidence: Option<String>,
    flags: Vec<&'static str>,
    problems: Vec<String>,
    flagged: bool,
}

fn flag_words(flag: &str) -> &'static str {
    match flag {
        "no_lead" => "Không rõ đơn vị chủ trì",
        "unknown_lead" => "Đơn vị chủ trì không có trong danh sách",
        "group_lead" => "Chủ trì là một nhóm đơn vị",
        "unknown_coordinating" => "Có đơn vị phối hợp không có trong danh sách",
        "no_anchor" => "Thời hạn tính từ một ngày văn bản không ghi",
        "year_from_context" => "Năm của thời hạn được suy ra",
        "weak_cue" => "Thời hạn ghi không rõ",
        "several_deadlines" => "Nhiều thời hạn trong một nhiệm vụ",
        "inherited_lead" => "Đơn vị chủ trì lấy từ đề mục",
        _ => "Cần xem lại",
    }
}

fn period_name(period: Option<Period>) -> &'static str {
    match period {
        None => "",
        Some(Period::Week) => "week",
        Some(Period::Month) => "month",
        Some(Period::Quarter) => "quarter",
        Some(Period::HalfYear) => "half_year",
        Some(Period::Year) => "year",
    }
}

fn rows(
    content: &DraftContent,
    settings: &Settings,
    problems: &HashMap<usize, Vec<String>>,
    kept: Option<&[bool]>,
) -> Vec<TaskRow> {
    let mut rows: Vec<TaskRow> = content
        .directive
        .tasks
        .iter()
        .enumerate()
        .map(|(index, task)| {
            let finding = content.findings.get(index).cloned().unwrap_or_default();
            let lead = task.lead.clone().unwrap_or_default();
            let known = crate::domain::DepartmentCode::parse(&lead)
                .ok()
                .filter(|c| settings.departments.get(c).is_some());
            let found: Vec<String> = problems.get(&index).cloned().unwrap_or_default();
            let flags: Vec<&'static str> = finding.flags.iter().map(|f| flag_words(f)).collect();
            TaskRow {
                index,
                keep: kept.and_then(|k| k.get(index).copied()).unwrap_or(true),
                summary: task.summary.clone().unwrap_or_default(),
                lead_unknown: known.is_none().then(|| lead.clone()).filter(|l| !l.is_empty()),
                lead: known.map(|c| c.to_string()).unwrap_or_default(),
                coordinating: task.coordinating.join(", "),
                deadline: task.deadline.clone().unwrap_or_default(),
                phrase: task.deadline_phrase.clone().unwrap_or_default(),
                every: period_name(task.recurrence.map(|r| r.every)),
                day: task.recurrence.and_then(|r| r.day).map(|d| d.to_string()).unwrap_or_default(),
                month: task.recurrence.and_then(|r| r.month).map(|m| m.to_string()).unwrap_or_default(),
                line: finding.line,
                confidence: finding.confidence.map(|c| format!("{:.0}%", c * 100.0)),
                flagged: !flags.is_empty() || !found.is_empty(),
                flags,
                problems: found,
            }
        })
        .collect();
    // What cannot be applied as it is first, then the flagged findings, then the rest, each
    // in the document's order.
    rows.sort_by_key(|r| (r.problems.is_empty(), !r.flagged, r.line.unwrap_or(usize::MAX), r.index));
    rows
}

/// The document's lines, numbered as the importer numbers them, each marked when a finding
/// starts on it.
fn document_lines(text: &str, rows: &[TaskRow]) -> Vec<minijinja::Value> {
    let found: HashMap<usize, bool> = rows.iter().filter_map(|r| Some((r.line?, r.flagged))).collect();
    text.split(['\n', '\u{c}', '\u{2028}', '\u{2029}'])
        .enumerate()
        .map(|(i, line)| {
            let number = i + 1;
            let mark = match found.get(&number) {
                Some(true) => "flagged",
                Some(false) => "found",
                None => "",
            };
            minijinja::context! { number, text => line, mark }
        })
        .collect()
}

/// What the checks find wrong with the tasks kept, each on its task's row (by its index in
/// the draft), the rest about the directive itself.
fn problems(
    content: &DraftContent,
    settings: &Settings,
    kept: &[bool],
) -> (HashMap<usize, Vec<String>>, Vec<String>) {
    let indices: Vec<usize> =
        (0..content.directive.tasks.len()).filter(|i| kept.get(*i).copied().unwrap_or(true)).collect();
    let fields = DirectiveFields {
        tasks: indices.iter().map(|i| content.directive.tasks[*i].clone()).collect(),
        ..content.directive.clone()
    };
    let mut by_task: HashMap<usize, Vec<String>> = HashMap::new();
    let mut header = Vec::new();
    let found = crate::app::input::directive(fields, "", &settings.departments, &settings.calendar.calendar)
        .err()
        .unwrap_or_default();
    for problem in found {
        // "tasks[2].lead" is the third task kept.
        let task = problem.field.strip_prefix("tasks[").and_then(|rest| rest.split_once(']')).and_then(
            |(n, rest)| {
                Some((*indices.get(n.parse::<usize>().ok()?)?, rest.trim_start_matches('.').to_owned()))
            },
        );
        match task {
            Some((index, field)) => by_task.entry(index).or_default().push(format!(
                "{}: {}",
                field_words(&field),
                problem.message
            )),
            None => header.push(format!("{}: {}", field_words(&problem.field), problem.message)),
        }
    }
    (by_task, header)
}

/// A field of the directive or a task, as the form labels it.
fn field_words(field: &str) -> &str {
    match field {
        "lead" => "Đơn vị chủ trì",
        "coordinating" => "Đơn vị phối hợp",
        "deadline" => "Thời hạn",
        "deadline_phrase" => "Thời hạn theo văn bản",
        "summary" => "Nội dung",
        "recurrence" => "Định kỳ",
        "title" => "Trích yếu",
        "issuer" => "Cơ quan ban hành",
        "issued_on" => "Ngày ban hành",
        "number" => "Số, ký hiệu",
        other if other.starts_with("coordinating") => "Đơn vị phối hợp",
        other => other,
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_draft(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    status: StatusCode,
    content: &DraftContent,
    form_problem: Option<String>,
    kept: Option<&[bool]>,
    decided: Option<String>,
) -> Response {
    let settings = state.settings();
    let all = vec![true; content.directive.tasks.len()];
    let (problems, mut header_problems) = problems(content, &settings, kept.unwrap_or(&all));
    header_problems.extend(form_problem);
    let rows = rows(content, &settings, &problems, kept);
    let lines = content.text.as_deref().map(|t| document_lines(t, &rows)).unwrap_or_default();
    let departments: Vec<_> = settings
        .departments
        .iter()
        .map(|d| minijinja::context! { code => d.code.to_string(), name => d.name.clone() })
        .collect();
    let directive = &content.directive;
    let flagged = rows.iter().filter(|r| r.flagged).count();
    let context = minijinja::context! {
        title => "Xem lại văn bản nhập",
        id,
        directive => minijinja::context! {
            number => directive.number.clone().unwrap_or_default(),
            title => directive.title.clone().unwrap_or_default(),
            issuer => directive.issuer.clone().unwrap_or_default(),
            issued_on => directive.issued_on.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default(),
        },
        tasks => super::value(&rows),
        flagged,
        lines,
        departments,
        header_problems => header_problems.to_vec(),
        decided,
        encoding => content.encoding.clone(),
    };
    super::render(state, status, "review.html", Some(visitor), context)
}

async fn draft_page(State(state): State<Arc<AppState>>, visitor: Visitor, Path(id): Path<i64>) -> Response {
    if let Some(refused) = super::office_only(&state, &visitor, IMPORTS_ARE_THE_OFFICES) {
        return refused;
    }
    let draft = match state.store().draft(id).await {
        Ok(draft) => draft,
        Err(StoreError::NoSuchDraft(_)) => return super::not_found(&state, Some(&visitor)),
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let content = match DraftContent::read(&draft) {
        Ok(content) => content,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let decided = (draft.state != DraftState::Waiting).then(|| match draft.state {
        DraftState::Accepted => "Bản nháp này đã được áp dụng.".to_owned(),
        _ => {
            format!("Bản nháp này đã bị loại{}.", draft.reason.map(|r| format!(": {r}")).unwrap_or_default())
        }
    });
    render_draft(&state, &visitor, id, StatusCode::OK, &content, None, None, decided).await
}

/// The draft's fields with the person's corrections: the header, and for each task kept
/// its lead, coordinating, deadline, phrase and recurrence; which tasks were kept.
fn corrected(
    content: &DraftContent,
    form: &HashMap<String, String>,
) -> Result<(DirectiveFields, Vec<bool>), String> {
    let text = |key: &str| form.get(key).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut fields = content.directive.clone();
    fields.number = text("number");
    fields.title = text("title");
    fields.issuer = text("issuer");
    fields.issued_on = match text("issued_on") {
        Some(date) => Some(
            chrono::NaiveDate::parse_from_str(&date, "%Y-%m-%d")
                .map_err(|_| format!("Ngày văn bản: '{date}' không phải một ngày"))?,
        ),
        None => None,
    };
    let mut kept = Vec::with_capacity(fields.tasks.len());
    for (i, task) in fields.tasks.iter_mut().enumerate() {
        kept.push(form.contains_key(&format!("t{i}_keep")));
        task.summary = text(&format!("t{i}_summary"));
        task.lead = text(&format!("t{i}_lead"));
        task.coordinating = text(&format!("t{i}_coordinating"))
            .map(|c| {
                c.split([',', ';']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
            })
            .unwrap_or_default();
        task.deadline = text(&format!("t{i}_deadline"));
        task.deadline_phrase = text(&format!("t{i}_phrase"));
        let number = |key: String| -> Result<Option<u32>, String> {
            text(&key)
                .map(|n| n.parse::<u32>().map_err(|_| format!("Nhiệm vụ {}: '{n}' không phải một số", i + 1)))
                .transpose()
        };
        let every = match text(&format!("t{i}_every")).as_deref() {
            None => None,
            Some("week") => Some(Period::Week),
            Some("month") => Some(Period::Month),
            Some("quarter") => Some(Period::Quarter),
            Some("half_year") => Some(Period::HalfYear),
            Some("year") => Some(Period::Year),
            Some(other) => return Err(format!("Nhiệm vụ {}: '{other}' không phải một chu kỳ", i + 1)),
        };
        task.recurrence = match every {
            None => None,
            Some(every) => {
                let recurrence = Recurrence {
                    every,
                    day: number(format!("t{i}_day"))?,
                    month: number(format!("t{i}_month"))?,
                };
                Some(recurrence.check().map_err(|e| format!("Nhiệm vụ {}: {e}", i + 1))?)
            }
        };
    }
    Ok((fields, kept))
}

/// `POST /imports/drafts/{id}`: save the corrections, apply them, or reject the draft.
async fn save(
    State(state): State<Arc<AppState>>,
    visitor: Visitor,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = super::office_only(&state, &visitor, IMPORTS_ARE_THE_OFFICES) {
        return refused;
    }
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    if !visitor.form_is_ours(&state, form.get("form_token").map(String::as_str)) {
        return super::forged(&state, Some(&visitor));
    }
    let draft = match state.store().draft(id).await {
        Ok(draft) => draft,
        Err(StoreError::NoSuchDraft(_)) => return super::not_found(&state, Some(&visitor)),
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let mut content = match DraftContent::read(&draft) {
        Ok(content) => content,
        Err(error) => return store_failed(&state, Some(&visitor), error),
    };
    let settings = state.settings();
    let changes = Changes::new(state.store(), &settings, Actor::page(&visitor.person.email));
    if form.get("action").map(String::as_str) == Some("reject") {
        let reason = form.get("reason").map(|r| r.trim()).filter(|r| !r.is_empty());
        return match changes.reject_draft(id, reason).await {
            Ok(()) => Redirect::to("/imports").into_response(),
            Err(error) => draft_refused(&state, &visitor, error),
        };
    }
    let (fields, kept) = match corrected(&content, &form) {
        Ok(corrected) => corrected,
        Err(problem) => {
            return render_draft(
                &state,
                &visitor,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &content,
                Some(problem),
                None,
                None,
            )
            .await;
        }
    };
    content.directive = fields.clone();
    if form.get("action").map(String::as_str) != Some("apply") {
        return match state.store().update_draft(id, &content.to_json()).await {
            Ok(()) => Redirect::to(&format!("/imports/drafts/{id}")).into_response(),
            Err(error) => draft_refused(&state, &visitor, DraftError::Change(error.into())),
        };
    }
    // Apply the tasks kept, through the checks every directive goes through.
    let indices: Vec<usize> = kept.iter().enumerate().filter(|(_, k)| **k).map(|(i, _)| i).collect();
    let applied = DirectiveFields {
        tasks: indices.iter().map(|i| fields.tasks[*i].clone()).collect(),
        ..fields.clone()
    };
    match changes.accept_draft(id, Some(applied)).await {
        Ok((directive, _)) => {
            state.changed();
            Redirect::to(&format!("/directives/{}", directive.0)).into_response()
        }
        Err(DraftError::Change(ChangeError::Invalid(_))) => {
            // The corrections are kept, so that nothing typed is lost; the page shows each
            // problem on its row.
            if let Err(error) = state.store().update_draft(id, &content.to_json()).await {
                return store_failed(&state, Some(&visitor), error);
            }
            render_draft(
                &state,
                &visitor,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &content,
                None,
                Some(&kept),
                None,
            )
            .await
        }
        Err(error) => draft_refused(&state, &visitor, error),
    }
}

fn draft_refused(state: &AppState, visitor: &Visitor, error: DraftError) -> Response {
    match error {
        DraftError::Change(ChangeError::DraftDecided { state: decided, .. }) => message(
            state,
            StatusCode::CONFLICT,
            Some(visitor),
            "Bản nháp đã được xử lý",
            &format!(
                "Bản nháp này đã {} trước đây.",
                if decided == "accepted" { "được áp dụng" } else { "bị loại" }
            ),
        ),
        DraftError::Change(ChangeError::NotFound { .. }) => super::not_found(state, Some(visitor)),
        other => store_failed(state, Some(visitor), other),
    }
}
