use proptest::prelude::*;

use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The swaps the government announced for 2026 (công văn 12729/VPCP-KGVX; Quốc khánh).
fn calendar_2026() -> Calendar {
    let day = |d: NaiveDate, off: bool, reason: &str| DayOverride { date: d, off, reason: reason.to_owned() };
    Calendar::new(
        HolidayRules::default(),
        vec![
            day(date(2026, 1, 2), true, "Hoán đổi: nghỉ thứ Sáu 02/01/2026"),
            day(date(2026, 1, 10), false, "Làm bù thứ Bảy cho ngày 02/01/2026"),
            day(date(2026, 8, 31), true, "Hoán đổi: nghỉ thứ Hai 31/08/2026"),
            day(date(2026, 8, 22), false, "Làm bù thứ Bảy cho ngày 31/08/2026"),
            // Re-stating a holiday or a weekend changes nothing.
            day(date(2026, 9, 2), true, "Quốc khánh"),
            day(date(2026, 3, 7), true, "thứ Bảy"),
        ],
    )
}

#[test]
fn weekends_and_holidays_are_days_off() {
    let calendar = Calendar::vietnam();
    assert!(calendar.is_working_day(date(2021, 11, 26))); // Friday
    assert!(!calendar.is_working_day(date(2021, 11, 27)));
    assert!(!calendar.is_working_day(date(2021, 11, 28)));
    assert!(!calendar.is_working_day(date(2026, 2, 17))); // mùng 1 Tết
    assert!(!calendar.is_working_day(date(2026, 4, 27))); // nghỉ bù Giỗ Tổ
    assert!(calendar.is_working_day(date(2026, 2, 23)));
}

#[test]
fn overrides_make_days_off_and_working_saturdays() {
    let calendar = calendar_2026();
    assert!(!calendar.is_working_day(date(2026, 1, 2)));
    assert!(calendar.is_working_day(date(2026, 1, 10)));
    let special = calendar.special_days(2026);
    let listed: Vec<_> =
        special.iter().map(|d| (d.date.format("%d/%m").to_string(), d.off, d.kind)).collect();
    assert_eq!(listed.len(), 16, "{listed:#?}");
    assert!(listed.contains(&("10/01".to_owned(), false, DayKind::Override)));
    assert!(listed.contains(&("31/08".to_owned(), true, DayKind::Override)));
    assert!(listed.contains(&("02/09".to_owned(), true, DayKind::Holiday)));
    assert!(!listed.iter().any(|d| d.0 == "07/03"));
    // A department's own day off adds to the province's.
    let department = calendar.with_overrides(vec![DayOverride {
        date: date(2026, 3, 9),
        off: true,
        reason: "Lễ hội".into(),
    }]);
    assert!(!department.is_working_day(date(2026, 3, 9)));
    assert!(calendar.is_working_day(date(2026, 3, 9)));
    assert!(!department.is_working_day(date(2026, 1, 2)));
}

#[test]
fn moves_and_counts_across_tet() {
    let calendar = Calendar::vietnam();
    // Tết Bính Ngọ: off Saturday 14 to Sunday 22/02/2026.
    assert_eq!(calendar.on_or_after(date(2026, 2, 14)), date(2026, 2, 23));
    assert_eq!(calendar.on_or_before(date(2026, 2, 22)), date(2026, 2, 13));
    assert_eq!(calendar.sub_working_days(date(2026, 2, 23), 3), date(2026, 2, 11));
    assert_eq!(calendar.add_working_days(date(2026, 2, 12), 2), date(2026, 2, 23));
    assert_eq!(calendar.working_days_between(date(2026, 2, 12), date(2026, 2, 23)), 2);
    assert_eq!(calendar.working_days_between(date(2026, 2, 23), date(2026, 2, 12)), -2);
    assert_eq!(calendar.add_working_days(date(2026, 2, 12), 0), date(2026, 2, 12));
}

#[test]
fn ten_working_days_from_the_seed_notice() {
    // 21/09/2021 + 10 working days: no holiday in between, two weekends: 05/10/2021.
    let calendar = Calendar::vietnam();
    assert_eq!(calendar.add_working_days(date(2021, 9, 21), 10), date(2021, 10, 5));
    // Across Quốc khánh 2021 (1–2/09, Wed–Thu): 25/08 + 10 working days = 10/09.
    assert_eq!(calendar.add_working_days(date(2021, 8, 25), 10), date(2021, 9, 10));
}

proptest! {
    #[test]
    fn adding_n_working_days_then_counting_gives_n(days_since in 0i64..(200 * 365), n in 0u32..400) {
        let calendar = Calendar::vietnam();
        let start = date(1950, 1, 1) + chrono::Duration::days(days_since);
        let end = calendar.add_working_days(start, n);
        prop_assert_eq!(calendar.working_days_between(start, end), i64::from(n));
        prop_assert!(n == 0 || calendar.is_working_day(end));
        let back = calendar.sub_working_days(end, n);
        prop_assert_eq!(calendar.working_days_between(back, end), i64::from(n));
    }

    #[test]
    fn moving_onto_a_working_day_lands_on_one(days_since in 0i64..(200 * 365)) {
        let calendar = calendar_2026();
        let day = date(1950, 1, 1) + chrono::Duration::days(days_since);
        let after = calendar.on_or_after(day);
        let before = calendar.on_or_before(day);
        prop_assert!(calendar.is_working_day(after) && calendar.is_working_day(before));
        prop_assert!(before <= day && day <= after);
        prop_assert!((after - before).num_days() < 20);
    }
}
