use super::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// (kind, due, the phrase as written) of every deadline in `text`, for a document of
/// `reference`.
fn read(text: &str, reference: &str) -> Vec<(&'static str, Option<String>, String)> {
    let calendar = Calendar::vietnam();
    let context = Context { reference: Some(date(reference)), calendar: &calendar };
    let folded = Folded::new(text);
    find(&folded, &context)
        .into_iter()
        .map(|f| (f.kind.as_str(), f.due.map(|d| d.to_string()), text[f.range].to_owned()))
        .collect()
}

fn one(text: &str, reference: &str) -> (&'static str, Option<String>, String) {
    let mut all = read(text, reference);
    assert_eq!(all.len(), 1, "{text}: {all:?}");
    all.remove(0)
}

#[test]
fn days_are_read_with_their_cue_and_phrase() {
    assert_eq!(
        one("báo cáo UBND tỉnh trước ngày 15/12/2021.", "2021-09-21"),
        ("day", Some("2021-12-15".into()), "trước ngày 15/12/2021".into())
    );
    assert_eq!(
        one("hoàn thành chậm nhất ngày 30 tháng 6 năm 2023", "2023-03-09").1,
        Some("2023-06-30".into())
    );
    assert_eq!(one("Thời hạn hoàn thành: trước 30/6/ 2023", "2023-03-09").1, Some("2023-06-30".into()));
    assert_eq!(one("báo cáo trước ngày 15-12", "2022-10-03").1, Some("2022-12-15".into()));
    assert_eq!(
        one("báo cáo trước 16 giờ 00 ngày 21/02/2020.", "2020-02-18"),
        ("day", Some("2020-02-21".into()), "trước 16 giờ 00 ngày 21/02/2020".into())
    );
    assert_eq!(one("Từ nay đến 30/9/2022", "2022-03-10").1, Some("2022-09-30".into()));
    // A day already past this year is next year's.
    assert_eq!(one("báo cáo trước ngày 15/01", "2022-10-03").1, Some("2023-01-15".into()));
}

#[test]
fn months_quarters_halves_and_years_are_due_on_their_last_day() {
    assert_eq!(one("để báo cáo vào tháng 11/2021.", "2021-09-21").1, Some("2021-11-30".into()));
    assert_eq!(one("hoàn thành trong tháng 12/2021.", "2021-09-21").1, Some("2021-12-31".into()));
    assert_eq!(one("trong tháng 8 năm 2024", "2024-03-01").1, Some("2024-08-31".into()));
    assert_eq!(
        one("Đảm bảo khởi công trong Quý IV năm 2022.", "2021-09-21"),
        ("quarter", Some("2022-12-31".into()), "trong Quý IV năm 2022".into())
    );
    assert_eq!(one("Quý II/2022", "2021-09-21").1, Some("2022-06-30".into()));
    assert_eq!(one("hoàn thành trong 6 tháng đầu năm 2023", "2023-01-05").0, "half_year");
    assert_eq!(one("hoàn thành trong 6 tháng đầu năm 2023", "2023-01-05").1, Some("2023-06-30".into()));
    assert_eq!(one("hoàn thành trong năm 2022", "2021-09-21").1, Some("2022-12-31".into()));
    assert_eq!(one("hoàn thành trước năm 2025", "2021-09-21").1, Some("2024-12-31".into()));
}

#[test]
fn a_window_of_months_is_due_at_the_end_of_the_last() {
    assert_eq!(one("từ tháng 10 đến tháng 11/2022", "2022-09-01").1, Some("2022-11-30".into()));
    assert_eq!(
        one("Sở Tư pháp chủ trì thực hiện, thời gian: tháng 01 - 02/2018.", "2017-12-20").1,
        Some("2018-02-28".into())
    );
}

#[test]
fn a_window_is_due_at_its_end() {
    assert_eq!(
        one("tổ chức từ ngày 15/11 đến ngày 15/12/2022", "2022-10-01"),
        ("window", Some("2022-12-15".into()), "từ ngày 15/11 đến ngày 15/12/2022".into())
    );
}

#[test]
fn the_time_something_goes_on_is_not_a_deadline() {
    assert!(
        read(
            "nghiêm cấm đốt nương rẫy trong thời gian cao điểm từ ngày 15/3 đến ngày 30/4/2016",
            "2016-02-01"
        )
        .is_empty()
    );
    assert!(read("Lễ hội diễn ra vào ngày 10/4/2024 tại Đền Hùng", "2024-02-26").is_empty());
    assert!(read("đến nay mới hoàn thành 7/12 cửa van", "2025-10-01").is_empty());
    assert!(read("phấn đấu đến hết năm 2026 có 80% học sinh tiểu học biết bơi", "2026-03-01").is_empty());
    assert!(read("phong trào thi đua \"Chung tay xóa nhà tạm trong năm 2025\" và", "2025-03-20").is_empty());
    assert!(read("Nhiệm vụ “hoàn thành sửa chữa trước ngày 31/8/2025” đến nay", "2025-03-20").is_empty());
    // A push of work over some weeks is due at its end.
    assert_eq!(
        one("triển khai đợt cao điểm từ ngày 01/11 đến ngày 15/11/2016.", "2016-10-20").1,
        Some("2016-11-15".into())
    );
}

#[test]
fn working_days_count_from_signing_on_the_calendar() {
    // Signed on Friday 2021-09-17: ten working days later is Friday 2021-10-01.
    let found = one("trong thời hạn 10 ngày làm việc kể từ ngày ký", "2021-09-17");
    assert_eq!(found.0, "relative_working_days");
    assert_eq!(found.1, Some("2021-10-01".into()));
    // "from the day it is received" has no day to count from.
    let found = one("trong vòng 15 ngày làm việc kể từ ngày nhận được văn bản", "2021-09-17");
    assert_eq!((found.0, found.1), ("relative_working_days", None));
}

#[test]
fn recurrences_are_read() {
    let calendar = Calendar::vietnam();
    let context = Context { reference: Some(date("2022-01-05")), calendar: &calendar };
    let recurrence = |text: &str| {
        let found = find(&Folded::new(text), &context);
        assert_eq!(found.len(), 1, "{text}: {found:?}");
        found[0].recurrence
    };
    let monthly = Recurrence { every: Period::Month, month: None, day: Some(20) };
    assert_eq!(recurrence("báo cáo UBND tỉnh trước ngày 20 hằng tháng"), Some(monthly));
    assert_eq!(recurrence("gửi trước ngày 20 hàng tháng"), Some(monthly));
    let yearly = Recurrence { every: Period::Year, month: Some(12), day: Some(15) };
    assert_eq!(recurrence("báo cáo trước ngày 15/12 hằng năm"), Some(yearly));
    let quarterly = Recurrence { every: Period::Quarter, month: None, day: None };
    assert_eq!(recurrence("báo cáo định kỳ hằng quý"), Some(quarterly));
    let half = Recurrence { every: Period::HalfYear, month: None, day: None };
    assert_eq!(recurrence("báo cáo 6 tháng, hằng năm về UBND tỉnh"), Some(half));
    assert_eq!(recurrence("báo cáo Hằng năm, trước ngày 15/12"), Some(yearly));
    let half_15 = Recurrence { every: Period::HalfYear, month: None, day: Some(15) };
    assert_eq!(recurrence("báo cáo định kỳ 6 tháng (trước ngày 15/6)"), Some(half_15));
    let monthly_5 = Recurrence { every: Period::Month, month: None, day: Some(5) };
    assert_eq!(recurrence("báo cáo kết quả trước ngày 05 của tháng sau"), Some(monthly_5));
    let quarterly_15 = Recurrence { every: Period::Quarter, month: None, day: Some(15) };
    assert_eq!(recurrence("gửi trước ngày 15 của tháng cuối quý"), Some(quarterly_15));
    let monthly_25 = Recurrence { every: Period::Month, month: None, day: Some(25) };
    assert_eq!(recurrence("Định kỳ hằng tháng (trước ngày 25) báo cáo tình hình"), Some(monthly_25));
    assert_eq!(recurrence("báo cáo hằng quý, trước ngày 15"), Some(quarterly_15));
    let monthly_any = Recurrence { every: Period::Month, month: None, day: None };
    assert_eq!(recurrence("báo cáo Chủ tịch vào ngày thứ Sáu cuối mỗi tháng"), Some(monthly_any));
}

#[test]
fn references_periods_cut_offs_and_the_past_are_not_deadlines() {
    for text in [
        "theo Kế hoạch số 97/KH-UBND ngày 19/8/2021 của UBND tỉnh",
        "theo Nghị định số 167/2017/NĐ-CP của Chính phủ",
        "phát triển thành phố giai đoạn 2021-2025",
        "nhiệm kỳ 2021-2026",
        "báo cáo kết quả 6 tháng đầu năm 2023",
        "số liệu tính đến ngày 30/6/2023",
        "gọi công dân nhập ngũ năm 2022",
        "dự toán thu ngân sách năm 2021",
        "tăng 14,35% so với cùng kỳ",
        "Ngày 15/3/2021, UBND tỉnh đã tổ chức",
        "đã hoàn thành trong tháng 8/2021",
        "mục tiêu đến năm 2030",
        "chỉ đạo tại Văn bản số 669/UBND-VP3 ngày 17/9/2021",
        "09 tháng năm 2021",
    ] {
        assert!(read(text, "2021-09-21").is_empty(), "{text}: {:?}", read(text, "2021-09-21"));
    }
}

#[test]
fn a_cell_of_a_deadline_column_needs_no_cue() {
    let calendar = Calendar::vietnam();
    let context = Context { reference: Some(date("2022-04-15")), calendar: &calendar };
    let cell = |text: &str| {
        in_cell(text, &context)
            .map(|f| (f.kind.as_str(), f.due.map(|d| d.to_string()), text[f.range].to_owned()))
    };
    assert_eq!(cell("Tháng 6/2022"), Some(("month", Some("2022-06-30".into()), "Tháng 6/2022".into())));
    assert_eq!(cell("Năm 2022").map(|c| c.1), Some(Some("2022-12-31".into())));
    assert_eq!(cell("6 tháng cuối năm 2022").map(|c| c.1), Some(Some("2022-12-31".into())));
    assert_eq!(cell("Quý II/2022").map(|c| c.1), Some(Some("2022-06-30".into())));
    assert_eq!(cell("Trước 30/9/2022").map(|c| c.1), Some(Some("2022-09-30".into())));
    assert_eq!(cell("Từ tháng 10 đến tháng 11/2022").map(|c| c.1), Some(Some("2022-11-30".into())));
    assert_eq!(cell("Từ 15/5-15/6/2022").map(|c| c.1), Some(Some("2022-06-15".into())));
    assert_eq!(cell("Hằng quý").map(|c| c.0), Some("recurring"));
    assert_eq!(cell("Ngày 25 hằng tháng").map(|c| c.0), Some("recurring"));
    assert_eq!(cell("Thường xuyên"), None);
    // A range of periods is due at the end of its last.
    assert_eq!(cell("Tháng 10 - 11/2022").map(|c| c.1), Some(Some("2022-11-30".into())));
    assert_eq!(cell("Quý III, IV/2022").map(|c| c.1), Some(Some("2022-12-31".into())));
    assert_eq!(cell("Quý II - Quý III/2022").map(|c| c.1), Some(Some("2022-09-30".into())));
    assert_eq!(
        cell("Quý IV/2022 - Tháng 01/2023").map(|c| (c.0, c.1)),
        Some(("window", Some("2023-01-31".into())))
    );
}
