use super::*;
use crate::config::Settings;

fn departments() -> Departments {
    let text = include_str!("../../../config/examples/nam-dinh.toml");
    match Settings::from_toml(text, "nam-dinh.toml", &[]) {
        Ok(settings) => settings.departments,
        Err(error) => panic!("{error}"),
    }
}

fn mentions(text: &str) -> Vec<(String, Option<String>, bool)> {
    let departments = departments();
    let finder = Finder::new(&departments);
    let folded = Folded::new(text);
    finder
        .mentions(text, &folded)
        .into_iter()
        .map(|m| (m.body.written, m.body.code.map(|c| c.as_str().to_owned()), m.vague))
        .collect()
}

fn codes(text: &str) -> Vec<String> {
    mentions(text).into_iter().map(|(written, code, _)| code.unwrap_or(written)).collect()
}

#[test]
fn the_standard_lexicon_parses() {
    assert!(STANDARD.len() > 40);
    assert!(GROUP.is_match("các sở, ngành"));
}

#[test]
fn configured_names_aliases_and_standard_short_forms_resolve() {
    assert_eq!(codes("Giao Sở Nội vụ chủ trì, phối hợp với thành phố Nam Định"), ["snv", "ubnd-tpnd"]);
    assert_eq!(codes("Sở KH&ĐT, Sở TN&MT và Sở GD&ĐT"), ["skhdt", "stnmt", "sgddt"]);
    assert_eq!(codes("Giao UBND TP Nam Định"), ["ubnd-tpnd"]);
    assert_eq!(codes("Giám đốc Sở Y tế tỉnh Nam Định chỉ đạo"), ["syt"]);
    assert_eq!(codes("Phối hợp với Thanh tra tỉnh tổ chức rà soát"), ["thanh-tra"]);
    assert_eq!(codes("Sở Văn hoá, Thể thao và Du lịch"), ["svhttdl"]);
}

#[test]
fn bare_field_names_are_not_departments() {
    assert!(codes("9. Nội vụ, cải cách hành chính").is_empty());
    assert!(codes("7. Tài chính - ngân sách").is_empty());
    assert!(codes("ban hành văn bản tại sở").is_empty());
}

#[test]
fn groups_stay_as_written_and_related_units_are_vague() {
    let found =
        mentions("Yêu cầu các Sở, ngành, UBND các huyện, thành phố phối hợp với các đơn vị liên quan");
    let written: Vec<&str> = found.iter().map(|(w, _, _)| w.as_str()).collect();
    assert_eq!(written, ["các Sở, ngành", "UBND các huyện, thành phố", "các đơn vị liên quan"]);
    assert_eq!(found.iter().map(|m| m.2).collect::<Vec<_>>(), [false, false, true]);
    assert!(mentions("phối hợp với Sở, ngành liên quan kêu gọi")[0].2);
}

#[test]
fn a_group_goes_on_over_the_places_it_names() {
    assert_eq!(
        codes("UBND các huyện, thị xã Kiến Tường, thành phố Tân An chủ trì rà soát"),
        ["UBND các huyện, thị xã Kiến Tường, thành phố Tân An"]
    );
    assert_eq!(
        codes("UBND các huyện, thị xã và thành phố Huế căn cứ"),
        ["UBND các huyện, thị xã và thành phố Huế"]
    );
    assert_eq!(
        codes("UBND các huyện, thành phố ven biển triển khai"),
        ["UBND các huyện, thành phố ven biển"]
    );
    assert_eq!(
        codes("UBND các huyện: Lục Ngạn, Lục Nam, Tân Yên và Yên Thế:"),
        ["UBND các huyện: Lục Ngạn, Lục Nam, Tân Yên và Yên Thế"]
    );
    assert_eq!(codes("UBND các huyện: rà soát, báo cáo"), ["UBND các huyện"]);
    assert_eq!(
        codes("UBND các huyện Mang Thít, Long Hồ và Trà Ôn:"),
        ["UBND các huyện Mang Thít, Long Hồ và Trà Ôn"]
    );
    assert_eq!(
        codes("Ủy ban nhân dân các huyện trong vùng Công viên địa chất:"),
        ["Ủy ban nhân dân các huyện trong vùng Công viên địa chất"]
    );
    assert_eq!(codes("UBND các huyện Mang Thít, Sở Y tế"), ["UBND các huyện Mang Thít", "syt"]);
    // A body written right after the group is not one of its places.
    assert_eq!(codes("UBND các huyện, thành phố Sở Y tế"), ["UBND các huyện, thành phố", "syt"]);
}

#[test]
fn an_unknown_body_is_found_by_its_head_word_and_left_unresolved() {
    let found = mentions("Giao Trung tâm Phục vụ hành chính công chủ trì");
    assert_eq!(found, [("Trung tâm Phục vụ hành chính công".to_owned(), None, false)]);
    let found = mentions("Sở Ngoại vụ có trách nhiệm");
    assert_eq!(found[0].0, "Sở Ngoại vụ");
    assert_eq!(found[0].1, None);
}
