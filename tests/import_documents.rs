//! The importer on documents as offices exchange them: the seed as a PDF with a Vietnamese
//! font and as a DOCX, both made here by the writers offices use (fpdf2, python-docx), and
//! every kind of file that is not a directive, each refused with the file and the reason.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{ConfigParts, TestEnv};

const SEED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import/00-nam-dinh-2021-09-21.txt");
const MAKER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/make_document.py");

/// An env whose config is the Nam Định example.
fn nam_dinh() -> TestEnv {
    let env = TestEnv::new(ConfigParts::default());
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/examples/nam-dinh.toml"))
        .unwrap();
    let store = env.path("data/nam-dinh.db");
    let text = text.replace("sqlite://data/nam-dinh.db", &format!("sqlite://{}", store.display()));
    std::fs::write(&env.config, text).unwrap();
    env
}

/// Makes a document of `kind` (pdf, docx, scan, encrypted) from `source`.
fn make(env: &TestEnv, kind: &str, source: &str, name: &str) -> PathBuf {
    let out = env.path(name);
    let status = Command::new("python3").args([MAKER, kind, source]).arg(&out).status().unwrap();
    assert!(status.success(), "{MAKER} {kind} failed: pip install fpdf2 python-docx pypdf");
    out
}

fn dated(proposal: &Value) -> Vec<(String, String, String)> {
    proposal["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["deadline"].is_null())
        .map(|t| {
            (
                t["lead_code"].as_str().unwrap_or("?").to_owned(),
                t["deadline"].as_str().unwrap().to_owned(),
                t["deadline_phrase"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn import(env: &TestEnv, file: &Path) -> Value {
    env.json(&["import", &file.display().to_string()])
}

#[test]
fn the_seed_as_text_pdf_and_docx_gives_the_same_tasks() {
    let env = nam_dinh();
    let text = import(&env, Path::new(SEED));
    let pdf = import(&env, &make(&env, "pdf", SEED, "seed.pdf"));
    let wrapped = import(&env, &make(&env, "pdf-wrapped", SEED, "seed-wrapped.pdf"));
    let docx = import(&env, &make(&env, "docx", SEED, "seed.docx"));
    let expected = vec![
        ("snv".to_owned(), "2021-11-30".to_owned(), "vào tháng 11/2021".to_owned()),
        ("ubnd-tpnd".to_owned(), "2022-12-31".to_owned(), "trong Quý IV năm 2022".to_owned()),
        ("sgddt".to_owned(), "2021-12-31".to_owned(), "hoàn thành trong tháng 12/2021".to_owned()),
    ];
    for (name, proposal) in [("text", &text), ("pdf", &pdf), ("wrapped pdf", &wrapped), ("docx", &docx)] {
        assert_eq!(dated(proposal), expected, "{name}");
        // The paragraphs a word processor wraps at its own width may split otherwise.
        let count = proposal["tasks"].as_array().unwrap().len();
        let from_text = text["tasks"].as_array().unwrap().len();
        assert!(count.abs_diff(from_text) <= 8, "{name}: {count} tasks, {from_text} from the text");
        let coordinating: Vec<&Value> = proposal["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| t["lead_code"] == "snv" && !t["deadline"].is_null())
            .map(|t| &t["coordinating_codes"])
            .collect();
        assert_eq!(coordinating, [&serde_json::json!(["ubnd-tpnd"])], "{name}");
        let phrases: Vec<&str> = proposal["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["deadline_phrase"].as_str())
            .collect();
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
            assert!(phrases.iter().all(|p| !p.contains(trap)), "{name}: {trap} in {phrases:?}");
        }
    }
    assert_eq!(pdf["encoding"], "pdf");
    assert_eq!(docx["encoding"], "docx");
}

#[test]
fn a_plan_written_in_word_gives_its_table_rows_and_numbered_items() {
    let env = nam_dinh();
    let plan = import(&env, &make(&env, "plan", SEED, "ke-hoach.docx"));
    assert_eq!(plan["document"]["number"], "15/KH-UBND");
    assert_eq!(plan["document"]["type"], "kế hoạch");
    assert_eq!(plan["document"]["title"], "KẾ HOẠCH Triển khai chuyển đổi số năm 2022");
    let found: Vec<(&str, Value, &str)> = plan["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["lead_code"].as_str().unwrap_or("?"),
                t["coordinating_codes"].clone(),
                t["deadline"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("snv", serde_json::json!(["stttt"]), "2022-06-30"),
            ("sgddt", serde_json::json!(["ubnd-tpnd"]), "2022-08-31"),
            ("snv", serde_json::json!([]), "2022-12-20"),
            ("thanh-tra", serde_json::json!([]), "-"),
        ],
        "{plan:#}"
    );
    // Word draws the numbers of the "List Number" style: they are the items' sections.
    assert_eq!(plan["tasks"][2]["section"], "1");
    assert_eq!(plan["tasks"][3]["section"], "2");
}

fn assert_refused(env: &TestEnv, file: &Path, reason: &str) {
    let output = env.cli(&["import", &file.display().to_string()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(stderr.contains(&format!("{name}: {reason}")), "expected {name}: {reason:?} in:\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn what_is_not_a_readable_directive_is_refused_with_the_file_and_the_reason() {
    let env = nam_dinh();
    assert_refused(&env, &make(&env, "scan", SEED, "scan.pdf"), "this PDF has no text layer");
    assert_refused(&env, &make(&env, "encrypted", SEED, "locked.pdf"), "this PDF is protected by a password");
    let not_zip = env.path("broken.docx");
    std::fs::write(&not_zip, b"PK\x03\x04 this is not a zip archive at all").unwrap();
    assert_refused(&env, &not_zip, "this DOCX cannot be read: it is not a zip");
    let truncated = env.path("truncated.pdf");
    let pdf = std::fs::read(make(&env, "pdf", SEED, "whole.pdf")).unwrap();
    std::fs::write(&truncated, &pdf[..pdf.len() / 3]).unwrap();
    assert_refused(&env, &truncated, "this PDF cannot be read");
    let doc = env.path("old.doc");
    std::fs::write(&doc, [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]).unwrap();
    assert_refused(&env, &doc, "this is a Word 97-2003 document");
    let empty = env.write("empty.txt", "");
    assert_refused(&env, &empty, "the file is empty");
    let binary = env.path("random.bin");
    std::fs::write(&binary, (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect::<Vec<u8>>()).unwrap();
    assert_refused(&env, &binary, "this is not text");
    let large = env.path("twenty-megabytes.txt");
    std::fs::write(&large, "Giao Sở Nội vụ chủ trì, báo cáo trước ngày 15/12/2021.\n".repeat(350_000))
        .unwrap();
    assert_refused(&env, &large, "too large for a directive");
}

#[test]
fn vni_text_is_converted_and_said_to_be() {
    let env = nam_dinh();
    let vni = "Giao Sôû Noäi vuï chuû trì, phoái hôïp vôùi thaønh phoá Nam Ñònh xaây döïng Ñeà aùn, baùo caùo tröôùc ngaøy 15/12/2021.\n";
    let file = env.path("vni.txt");
    std::fs::write(&file, vni.chars().map(|c| c as u32 as u8).collect::<Vec<u8>>()).unwrap();
    let output = env.cli(&["import", "--format", "json", &file.display().to_string()]);
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("converted from vni-windows"));
    let proposal: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(proposal["tasks"][0]["lead_code"], "snv");
    assert_eq!(proposal["tasks"][0]["coordinating_codes"], serde_json::json!(["ubnd-tpnd"]));
    assert_eq!(proposal["tasks"][0]["deadline"], "2021-12-15");
}
