use super::*;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// (month, day) of a solar date.
type MonthDay = (u32, u32);

/// Tết (lunar 1/1) and Giỗ Tổ Hùng Vương (lunar 10/3) in Vietnam, 2000–2030, as published:
/// the Vietnamese-calendar dates of python-holidays (`holidays/calendars/chinese.py`, with its
/// Vietnam overrides for 2007, 2009 and 2030), each year's government holiday notices from
/// 2013 on, and, for the years Vietnam differs from China, the press: Tết 17/02/2007 (China
/// 18/02), 02/02/2030 (China 03/02), Giỗ Tổ 04/04/2009 (China 05/04).
const PUBLISHED: [(i32, MonthDay, MonthDay); 31] = [
    (2000, (2, 5), (4, 14)),
    (2001, (1, 24), (4, 3)),
    (2002, (2, 12), (4, 22)),
    (2003, (2, 1), (4, 11)),
    (2004, (1, 22), (4, 28)),
    (2005, (2, 9), (4, 18)),
    (2006, (1, 29), (4, 7)),
    (2007, (2, 17), (4, 26)),
    (2008, (2, 7), (4, 15)),
    (2009, (1, 26), (4, 4)),
    (2010, (2, 14), (4, 23)),
    (2011, (2, 3), (4, 12)),
    (2012, (1, 23), (3, 31)),
    (2013, (2, 10), (4, 19)),
    (2014, (1, 31), (4, 9)),
    (2015, (2, 19), (4, 28)),
    (2016, (2, 8), (4, 16)),
    (2017, (1, 28), (4, 6)),
    (2018, (2, 16), (4, 25)),
    (2019, (2, 5), (4, 14)),
    (2020, (1, 25), (4, 2)),
    (2021, (2, 12), (4, 21)),
    (2022, (2, 1), (4, 10)),
    (2023, (1, 22), (4, 29)),
    (2024, (2, 10), (4, 18)),
    (2025, (1, 29), (4, 7)),
    (2026, (2, 17), (4, 26)),
    (2027, (2, 6), (4, 16)),
    (2028, (1, 26), (4, 4)),
    (2029, (2, 13), (4, 23)),
    (2030, (2, 2), (4, 12)),
];

#[test]
fn tet_and_gio_to_match_the_published_dates_2000_to_2030() {
    for (year, (tet_m, tet_d), (gio_m, gio_d)) in PUBLISHED {
        assert_eq!(new_year(year).unwrap(), date(year, tet_m, tet_d), "Tết {year}");
        assert_eq!(
            to_lunar(date(year, tet_m, tet_d)).unwrap(),
            LunarDate { day: 1, month: 1, year, leap: false }
        );
        let gio_to = to_solar(LunarDate { day: 10, month: 3, year, leap: false }).unwrap();
        assert_eq!(gio_to, date(year, gio_m, gio_d), "Giỗ Tổ {year}");
    }
}

#[test]
fn vietnam_differs_from_china_where_history_says_it_does() {
    // The year Vietnam's calendar moved to UTC+7: Tết Mậu Thân a day before China's.
    assert_eq!(new_year(1968).unwrap(), date(1968, 1, 29));
    // Tết Ất Sửu a whole month before China's (20/02/1985).
    assert_eq!(new_year(1985).unwrap(), date(1985, 1, 21));
    assert_eq!(new_year(1966).unwrap(), date(1966, 1, 21));
}

#[test]
fn leap_months_are_numbered_and_flagged() {
    // 2023: leap month 2 from 22/03/2023 (not a leap month 1 from 20/02, as the simplified
    // algorithm gives).
    assert_eq!(leap_month(2023).unwrap(), Some(2));
    assert_eq!(to_lunar(date(2023, 2, 20)).unwrap(), LunarDate { day: 1, month: 2, year: 2023, leap: false });
    assert_eq!(to_lunar(date(2023, 3, 22)).unwrap(), LunarDate { day: 1, month: 2, year: 2023, leap: true });
    assert_eq!(
        to_lunar(date(2023, 3, 21)).unwrap(),
        LunarDate { day: 30, month: 2, year: 2023, leap: false }
    );
    assert_eq!(leap_month(2020).unwrap(), Some(4));
    assert_eq!(to_lunar(date(2020, 5, 23)).unwrap(), LunarDate { day: 1, month: 4, year: 2020, leap: true });
    assert_eq!(leap_month(2025).unwrap(), Some(6));
    assert_eq!(to_lunar(date(2025, 7, 25)).unwrap(), LunarDate { day: 1, month: 6, year: 2025, leap: true });
    for (year, month) in
        [(2001, 4), (2004, 2), (2006, 7), (2009, 5), (2012, 4), (2014, 9), (2017, 6), (2028, 5)]
    {
        assert_eq!(leap_month(year).unwrap(), Some(month), "{year}");
    }
    for year in [2021, 2022, 2024, 2026, 2027] {
        assert_eq!(leap_month(year).unwrap(), None, "{year}");
    }
}

#[test]
fn the_last_day_of_a_lunar_year_is_the_eve_of_tet() {
    // 29 Tết (tháng Chạp has 29 days) in 2026: Monday 16/02/2026.
    let eve = to_lunar(date(2026, 2, 16)).unwrap();
    assert_eq!((eve.month, eve.year), (12, 2025));
    assert_eq!(to_lunar(date(2026, 2, 17)).unwrap().day, 1);
}

#[test]
fn impossible_lunar_dates_are_errors() {
    assert_eq!(
        to_solar(LunarDate { day: 1, month: 3, year: 2023, leap: true }),
        Err(LunarError::NoSuchMonth { year: 2023, month: 3, leap: true })
    );
    assert!(matches!(
        to_solar(LunarDate { day: 31, month: 1, year: 2023, leap: false }),
        Err(LunarError::NoSuchDay { .. })
    ));
    assert!(matches!(
        to_solar(LunarDate { day: 0, month: 1, year: 2023, leap: false }),
        Err(LunarError::NoSuchDay { .. })
    ));
    assert!(matches!(
        to_solar(LunarDate { day: 1, month: 13, year: 2023, leap: false }),
        Err(LunarError::NoSuchMonth { .. })
    ));
    assert!(matches!(to_lunar(date(1850, 1, 1)), Err(LunarError::OutOfRange(_))));
}

#[test]
fn every_day_from_1900_to_2100_round_trips() {
    let mut day = date(1900, 2, 1);
    let end = date(2100, 12, 31);
    let mut previous: Option<LunarDate> = None;
    let mut checked = 0;
    while day <= end {
        let lunar = to_lunar(day).unwrap_or_else(|e| panic!("{day}: {e}"));
        assert_eq!(to_solar(lunar), Ok(day), "{day} -> {lunar:?}");
        // Consecutive days are consecutive lunar days, or the first of a new month.
        if let Some(previous) = previous {
            assert!(lunar.day == previous.day + 1 || lunar.day == 1, "{day}: {previous:?} -> {lunar:?}");
            assert!((1..=30).contains(&lunar.day) && (1..=12).contains(&lunar.month), "{day}: {lunar:?}");
        }
        previous = Some(lunar);
        checked += 1;
        day = day.succ_opt().unwrap();
    }
    assert_eq!(checked, 73_383);
}
