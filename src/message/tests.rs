use std::collections::HashMap;

use chrono::{TimeZone, Utc};

use super::*;
use crate::domain::{Deadline, DepartmentCode, DirectiveId, TaskId, TaskStatus};

struct Names(HashMap<&'static str, &'static str>);

impl DepartmentNames for Names {
    fn name_of(&self, code: &str) -> String {
        self.0.get(code).map_or(code.to_owned(), |n| (*n).to_owned())
    }
}

fn names() -> Names {
    Names(HashMap::from([
        ("snv", "Sở Nội vụ"),
        ("ubnd-tpnd", "UBND thành phố Nam Định"),
        ("vp-ubnd", "Văn phòng UBND tỉnh"),
    ]))
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn task() -> Task {
    Task {
        id: TaskId(1),
        directive_id: DirectiveId(1),
        section: Some("3".into()),
        summary: "Xây dựng Đề án mở rộng địa giới hành chính TP Nam Định".into(),
        details: None,
        lead: DepartmentCode::parse("snv").unwrap(),
        coordinating: vec![DepartmentCode::parse("ubnd-tpnd").unwrap()],
        deadline: Some(Deadline::parse("2021-11", Some("vào tháng 11/2021".into())).unwrap()),
        recurrence: None,
        status: TaskStatus::Open,
        done_on: None,
        created_at: Utc.with_ymd_and_hms(2021, 9, 21, 0, 0, 0).unwrap(),
    }
}

fn directive(number: Option<&str>) -> Directive {
    Directive {
        id: DirectiveId(1),
        number: number.map(str::to_owned),
        title: "Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc với thành phố Nam Định".into(),
        issuer: "UBND tỉnh Nam Định".into(),
        issued_on: date(2021, 9, 21),
    }
}

fn render(role: Role, today: NaiveDate, number: Option<&str>) -> Message {
    let department = match role {
        Role::Lead => "snv",
        Role::Coordinating => "ubnd-tpnd",
        Role::Escalation => "vp-ubnd",
    };
    let (task, directive) = (task(), directive(number));
    let reminder = Reminder {
        key: "t1.snv.k",
        task: &task,
        directive: &directive,
        department,
        role,
        rule: "before:7d",
        deadline: date(2021, 11, 30),
        due: date(2021, 11, 30),
        today,
    };
    let facts = facts(&reminder, &names());
    Renderer::new(None).unwrap().render(&facts).unwrap()
}

#[test]
fn lead_reminder_names_directive_task_role_deadline_and_days_left() {
    let message = render(Role::Lead, date(2021, 11, 23), Some("123/TB-UBND"));
    assert_eq!(
        message.subject,
        "[Nhắc việc] Còn 7 ngày: Xây dựng Đề án mở rộng địa giới hành chính TP Nam Định (hạn 30/11/2021)"
    );
    for part in [
        "Kính gửi: Sở Nội vụ",
        "Sở Nội vụ là đơn vị chủ trì",
        "Văn bản: Văn bản số 123/TB-UBND ngày 21/09/2021 của UBND tỉnh Nam Định (mục 3)",
        "Vai trò: chủ trì",
        "Đơn vị phối hợp: UBND thành phố Nam Định",
        "Thời hạn: 30/11/2021 (vào tháng 11/2021)",
        "Tình trạng: còn 7 ngày đến hạn",
        "Mã nhắc việc: t1.snv.k",
    ] {
        assert!(message.text.contains(part), "missing {part:?} in\n{}", message.text);
    }
}

#[test]
fn coordinating_overdue_and_escalation_wordings() {
    let message = render(Role::Coordinating, date(2021, 12, 3), None);
    assert_eq!(
        message.subject,
        "[Nhắc việc] Quá hạn 3 ngày: Xây dựng Đề án mở rộng địa giới hành chính TP Nam Định (hạn 30/11/2021)"
    );
    assert!(
        message.text.contains(
            "là đơn vị phối hợp thực hiện nhiệm vụ dưới đây (Sở Nội vụ chủ trì), đã quá hạn 3 ngày"
        )
    );
    assert!(message.text.contains("Văn bản: Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc với thành phố Nam Định ngày 21/09/2021 của UBND tỉnh Nam Định"));
    assert!(message.text.contains("khẩn trương hoàn thành"));

    let message = render(Role::Escalation, date(2021, 12, 7), None);
    assert!(message.subject.starts_with("[Đôn đốc] Quá hạn 7 ngày:"), "{}", message.subject);
    assert!(message.subject.ends_with("(Sở Nội vụ chủ trì, hạn 30/11/2021)"));
    assert!(message.text.contains("Kính gửi: Văn phòng UBND tỉnh"));

    let message = render(Role::Lead, date(2021, 11, 30), None);
    assert!(message.subject.starts_with("[Nhắc việc] Đến hạn hôm nay:"));
}

#[test]
fn long_summaries_are_cut_at_a_word_in_the_subject() {
    let long = "Rà soát, có phương án, kế hoạch cụ thể, đảm bảo tiến độ công tác giải phóng mặt bằng đối với từng dự án trọng điểm trên địa bàn";
    let cut = shorten(long, 90);
    assert!(cut.chars().count() <= 91 && cut.ends_with('…'), "{cut}");
    assert!(long.starts_with(cut.trim_end_matches('…')));
}
