//! The systemd units as systemd itself judges them.

use std::process::Command;

#[test]
fn the_unit_is_hardened_to_an_exposure_of_at_most_two() {
    judge(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nhacviec.service"), "nhacviec.service");
}

/// The template for several daemons, judged as the instance `nhacviec@1` systemd makes of it.
#[test]
fn the_template_unit_for_several_daemons_is_hardened_alike() {
    let folder = tempfile::tempdir().unwrap();
    let instance = folder.path().join("nhacviec@1.service");
    std::fs::copy(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nhacviec@.service"), &instance).unwrap();
    let text = std::fs::read_to_string(&instance).unwrap();
    assert!(text.contains("--config /etc/nhacviec/%i.toml run"), "each instance reads its own config");
    judge(instance.to_str().unwrap(), "nhacviec@1.service");
}

/// `systemd-analyze security` rates `unit` at most 2, and `verify` finds nothing wrong in it.
fn judge(unit: &str, name: &str) {
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", unit])
        .output()
        .expect("systemd-analyze runs (apt-get install systemd)");
    let text = String::from_utf8_lossy(&output.stdout);
    let line =
        text.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| panic!("{text}"));
    let level: f64 = line
        .split(&format!("{name}:"))
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no level in {line:?}"));
    assert!(level <= 2.0, "exposure {level}:\n{text}");
    let verify =
        Command::new("systemd-analyze").args(["verify", "--man=no", unit]).output().expect("systemd-analyze");
    let complaints = String::from_utf8_lossy(&verify.stderr);
    // The binary is not installed here; anything else is a mistake in the unit.
    let real: Vec<&str> = complaints
        .lines()
        .filter(|l| !l.contains("/usr/local/bin/nhacviec") && !l.trim().is_empty())
        .filter(|l| !l.contains("Failed to prepare filename") && !l.contains("is not executable"))
        .collect();
    assert!(real.is_empty(), "{complaints}");
}
