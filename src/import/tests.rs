use chrono::NaiveDate;

use super::*;
use crate::config::Settings;

fn nam_dinh() -> Settings {
    let text = include_str!("../../config/examples/nam-dinh.toml");
    match Settings::from_toml(text, "nam-dinh.toml", &[]) {
        Ok(settings) => settings,
        Err(error) => panic!("{error}"),
    }
}

fn seed() -> Proposal {
    let settings = nam_dinh();
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    propose(include_str!("../../tests/fixtures/import/00-nam-dinh-2021-09-21.txt"), &setting)
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[test]
fn the_seed_gives_its_three_dated_tasks_with_lead_coordinating_and_due_date() {
    let proposal = seed();
    let dated: Vec<&ProposedTask> = proposal.tasks.iter().filter(|t| t.deadline.is_some()).collect();
    type Finding<'a> = (Option<&'a str>, Vec<Option<&'a str>>, Option<NaiveDate>, Option<&'a str>);
    let found: Vec<Finding> = dated
        .iter()
        .map(|t| {
            (
                t.lead_code.as_deref(),
                t.coordinating_codes.iter().map(|c| c.as_deref()).collect(),
                t.deadline,
                t.deadline_phrase.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            (Some("snv"), vec![Some("ubnd-tpnd")], date("2021-11-30"), Some("vào tháng 11/2021")),
            (Some("ubnd-tpnd"), vec![], date("2022-12-31"), Some("trong Quý IV năm 2022")),
            (Some("sgddt"), vec![], date("2021-12-31"), Some("hoàn thành trong tháng 12/2021")),
        ],
        "{:#?}",
        dated
    );
}

#[test]
fn the_seed_gives_its_other_tasks_without_a_deadline_and_no_trap_date() {
    let proposal = seed();
    let count = proposal.tasks.len();
    assert!((38..=52).contains(&count), "{count} tasks: {:#?}", proposal.tasks);
    for task in &proposal.tasks {
        for trap in [
            "19/8/2021",
            "17/9/2021",
            "22/8/2018",
            "17/7/2012",
            "18/6/2021",
            "16/7/2021",
            "20/8/2021",
            "2021-2025",
            "2021-2026",
            "167/2017",
        ] {
            assert!(!task.deadline_phrase.as_deref().unwrap_or("").contains(trap), "{task:#?}");
        }
    }
    let leads: Vec<Option<&str>> = proposal.tasks.iter().map(|t| t.lead_code.as_deref()).collect();
    assert!(leads.iter().filter(|l| **l == Some("ubnd-tpnd")).count() >= 30, "{leads:?}");
    assert_eq!(proposal.document.meeting_date, date("2021-09-21"));
}

fn read(text: &str) -> Proposal {
    let settings = nam_dinh();
    let setting = Setting { departments: &settings.departments, calendar: &settings.calendar.calendar };
    propose(text, &setting)
}

/// A task as (lead code, due date, coordinating codes).
type Read = (Option<String>, Option<String>, Vec<Option<String>>);

fn dated(proposal: &Proposal) -> Vec<Read> {
    proposal
        .tasks
        .iter()
        .map(|t| (t.lead_code.clone(), t.deadline.map(|d| d.to_string()), t.coordinating_codes.clone()))
        .collect()
}

const PLAN_HEADER: &str = "UỶ BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 12/KH-UBND\nNam Định, ngày 10 tháng 01 năm 2022\nKẾ HOẠCH\nPhòng, chống dịch\nI. MỤC ĐÍCH, YÊU CẦU\n- Phấn đấu đến ngày 31/12/2022 hoàn thành các chỉ tiêu.\nII. NHIỆM VỤ CỤ THỂ\n";

#[test]
fn a_table_written_with_pipes_gives_a_task_a_row() {
    let text = format!(
        "{PLAN_HEADER}| STT | Nhiệm vụ | Đơn vị chủ trì | Đơn vị phối hợp | Thời hạn |\n|---|---|---|---|---|\n| 1 | Xây dựng phương án | Sở Nội vụ | UBND thành phố Nam Định | Trước 15/02/2022 |\n| 2 | Hướng dẫn tuyển sinh | Sở GD&ĐT | | Quý II/2022 |\n| 3 | Kiểm tra thường xuyên | Thanh tra tỉnh | Sở Nội vụ | Thường xuyên |\nIII. TỔ CHỨC THỰC HIỆN\n"
    );
    let proposal = read(&text);
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        dated(&proposal),
        [
            (s("snv"), s("2022-02-15"), vec![s("ubnd-tpnd")]),
            (s("sgddt"), s("2022-06-30"), vec![]),
            (s("thanh-tra"), None, vec![s("snv")]),
        ],
        "{:#?}",
        proposal.tasks
    );
}

#[test]
fn a_table_with_a_cell_a_line_gives_wrapped_names_and_deadlines_whole() {
    let text = format!(
        "{PLAN_HEADER}TT\nNội dung nhiệm vụ\nCơ quan chủ trì\nCơ quan phối hợp\nThời gian\nhoàn thành\n1\nXây dựng kế hoạch tuyển sinh\nlớp 1 năm học 2022-2023\nSở Giáo dục và\nĐào tạo\nUBND thành phố\nNam Định\nTừ ngày 01/6 đến\nngày 07/6/2022\n2\n2\nRà soát các cơ sở giáo dục\ncác cơ sở khám, chữa bệnh\nSở Nội vụ\nThanh tra tỉnh\n6 tháng cuối\nnăm 2022\n"
    );
    let proposal = read(&text);
    let s = |v: &str| Some(v.to_owned());
    assert_eq!(
        dated(&proposal),
        [
            (s("sgddt"), s("2022-06-07"), vec![s("ubnd-tpnd")]),
            (s("snv"), s("2022-12-31"), vec![s("thanh-tra")])
        ],
        "{:#?}",
        proposal.tasks
    );
    assert_eq!(proposal.tasks[0].deadline_phrase.as_deref(), Some("Từ ngày 01/6 đến ngày 07/6/2022"));
}

#[test]
fn two_jobs_with_two_deadlines_in_one_sentence_are_two_tasks_and_brackets_do_not_count() {
    let text = format!(
        "{PLAN_HEADER}1. Sở Nội vụ tổ chức sơ kết, báo cáo UBND tỉnh trước ngày 10/7/2022 và tổng kết năm 2022 trước ngày 15/12/2022.\n2. Sở Xây dựng xây dựng bảng giá (bảng giá hiện hành áp dụng đến hết ngày 31/12/2023), trình UBND tỉnh trước ngày 15/10/2022.\n"
    );
    let proposal = read(&text);
    let s = |v: &str| Some(v.to_owned());
    let found: Vec<_> = dated(&proposal).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(
        found,
        [(s("snv"), s("2022-07-10")), (s("snv"), s("2022-12-15")), (s("sxd"), s("2022-10-15"))],
        "{:#?}",
        proposal.tasks
    );
}

#[test]
fn tables_with_tabs_grids_and_a_deadline_column_first_give_a_task_a_row() {
    let s = |v: &str| Some(v.to_owned());
    let tabs = format!(
        "{PLAN_HEADER}STT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tThời gian hoàn thành\tSản phẩm\n1\tXây dựng phương án\tSở Nội vụ\tThanh tra tỉnh\tQuý II/2022\tPhương án\n2\n2\tHướng dẫn tuyển sinh\tSở GD&ĐT\t\tTháng 8/2022\tVăn bản\n"
    );
    let found: Vec<_> = dated(&read(&tabs)).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(found, [(s("snv"), s("2022-06-30")), (s("sgddt"), s("2022-08-31"))]);
    let grid = format!(
        "{PLAN_HEADER}+----+---------------------+-------------+------------+\n| TT | Nội dung nhiệm vụ   | Chủ trì     | Thời gian  |\n+====+=====================+=============+============+\n| 1  | Xây dựng phương án  | Sở Giáo dục | Trước      |\n|    | tuyển sinh lớp 1    | và Đào tạo  | 15/5/2022  |\n+----+---------------------+-------------+------------+\n| 2  | Kiểm tra            | Sở Nội vụ   | Thường     |\n|    |                     |             | xuyên      |\n+----+---------------------+-------------+------------+\n"
    );
    let found: Vec<_> = dated(&read(&grid)).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(found, [(s("sgddt"), s("2022-05-15")), (s("snv"), None)]);
    let deadline_first = format!(
        "{PLAN_HEADER}TT\nNội dung công việc\nThời gian thực\nhiện\nĐơn vị chủ trì\nĐơn vị phối hợp\n1\nXây dựng phương án\ntuyển sinh lớp 1\nTrước\n15/10/2022\nSở Giáo dục và\nĐào tạo\nSở Nội vụ\n2\nKiểm tra việc thực hiện\nTháng 12/2022\nThanh tra tỉnh\nCác sở, ngành liên\nquan\n"
    );
    let found: Vec<_> = dated(&read(&deadline_first)).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(found, [(s("sgddt"), s("2022-10-15")), (s("thanh-tra"), s("2022-12-31"))]);
}

#[test]
fn a_tab_table_row_broken_inside_its_cells_is_one_row() {
    let s = |v: &str| Some(v.to_owned());
    let text = format!(
        "{PLAN_HEADER}STT\tNội dung\tĐơn vị chủ trì\tĐơn vị phối hợp\tThời gian hoàn thành\n1\tRà soát biên chế\tSở Nội vụ\tThanh tra tỉnh\tTrước 15/02/2022\n2\tHướng dẫn tuyển sinh.\nChỉ đạo các trường rà soát\tSở GD&ĐT\tSở Nội vụ;\nThanh tra tỉnh\tTháng 8/2022\n3\tKiểm tra\tThanh tra tỉnh\t\tQuý III/2022\n"
    );
    let found: Vec<_> = dated(&read(&text)).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(
        found,
        [(s("snv"), s("2022-02-15")), (s("sgddt"), s("2022-08-31")), (s("thanh-tra"), s("2022-09-30"))]
    );
}

#[test]
fn bracketed_numbers_departments_listed_after_cac_so_and_narrowed_groups_are_read() {
    let s = |v: &str| Some(v.to_owned());
    let text = "UỶ BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 12/TB-UBND\nNam Định, ngày 05 tháng 3 năm 2024\nTHÔNG BÁO\nKết luận của Chủ tịch UBND tỉnh\n\
(1) Sở Nội vụ: Rà soát biên chế, hoàn thành trước ngày 15/4/2024.\n\
(2) Các Sở: Tài chính, Nội vụ rà soát kinh phí, trình UBND tỉnh trước ngày 20/4/2024.\n\
(3) UBND các xã, phường có dự án nhà ở xã hội hoàn thành giải phóng mặt bằng, xong trước ngày 31/10/2024.\n\
(4) Sở Tài chính báo cáo kết quả 6 tháng cuối năm 2024 về UBND tỉnh trước ngày 15/01/2025.\n";
    let proposal = read(text);
    let found: Vec<_> =
        proposal.tasks.iter().map(|t| (t.lead.clone(), t.deadline.map(|d| d.to_string()))).collect();
    assert_eq!(
        found,
        [
            (s("Sở Nội vụ"), s("2024-04-15")),
            (s("Sở Tài chính"), s("2024-04-20")),
            (s("UBND các xã, phường có dự án nhà ở xã hội"), s("2024-10-31")),
            (s("Sở Tài chính"), s("2025-01-15")),
        ],
        "{:#?}",
        proposal.tasks
    );
    assert_eq!(proposal.tasks[1].coordinating_codes, [s("snv")]);
}

#[test]
fn a_numbered_item_that_opens_with_its_body_is_a_task_before_any_introduction() {
    let s = |v: &str| Some(v.to_owned());
    let text = "UỶ BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 12/TB-UBND\nNam Định, ngày 05 tháng 3 năm 2024\nTHÔNG BÁO\n\
1. Giao Sở Nội vụ chủ trì rà soát biên chế, báo cáo trước ngày 15/4/2024.\n\
2. UBND thành phố Nam Định hoàn thành sắp xếp tổ dân phố trong tháng 6/2024.\n\
3. Các sở, ngành căn cứ Kế hoạch này xây dựng kế hoạch, gửi Sở Nội vụ trước ngày 30/4/2024.\n";
    let proposal = read(text);
    let found: Vec<_> = dated(&proposal).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(found[..2], [(s("snv"), s("2024-04-15")), (s("ubnd-tpnd"), s("2024-06-30"))]);
    assert_eq!(proposal.tasks[2].deadline.map(|d| d.to_string()), s("2024-04-30"));
    // "báo cáo trước ngày 15/4/2024" is a deadline, not the day of a meeting.
    assert_eq!(proposal.document.meeting_date, None);
}

#[test]
fn an_item_whose_fields_name_the_unit_that_carries_it_out_is_led_by_that_unit() {
    let s = |v: &str| Some(v.to_owned());
    let text = format!(
        "{PLAN_HEADER}1. Tuyên truyền phòng, chống dịch\na) Đưa nội dung phòng, chống dịch vào hoạt động ngoại khóa.\n- Đơn vị thực hiện: Sở Giáo dục và Đào tạo.\n- Thời gian hoàn thành: Tháng 5/2022.\nb) Kiểm tra việc thực hiện.\n- Thực hiện: thường xuyên.\n"
    );
    let found: Vec<_> = dated(&read(&text)).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(found[0], (s("sgddt"), s("2022-05-31")));
}

#[test]
fn an_item_that_asks_for_work_on_what_was_done_is_a_task() {
    let s = |v: &str| Some(v.to_owned());
    let text = "UỶ BAN NHÂN DÂN\nTỈNH NAM ĐỊNH\nSố: 12/TB-UBND\nNam Định, ngày 05 tháng 3 năm 2020\nTHÔNG BÁO\nKết luận\nChủ tịch UBND tỉnh kết luận như sau:\n\
1. Về kết quả: UBND thành phố Nam Định đã hoàn thành giải phóng mặt bằng trước ngày 31/01/2020.\n\
2. UBND thành phố Nam Định:\n\
- Tập trung hoàn thành giải phóng mặt bằng các cụm công nghiệp đã có chủ đầu tư hạ tầng trước ngày 31/10/2020.\n";
    let found: Vec<_> = dated(&read(text)).into_iter().map(|(lead, due, _)| (lead, due)).collect();
    assert_eq!(found, [(s("ubnd-tpnd"), s("2020-10-31"))]);
}
