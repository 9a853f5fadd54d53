//! The systemd unit as systemd itself judges it.

use std::process::Command;

#[test]
fn the_unit_is_hardened_to_an_exposure_of_at_most_two() {
    let unit = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nhacviec.service");
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", unit])
        .output()
        .expect("systemd-analyze runs (apt-get install systemd)");
    let text = String::from_utf8_lossy(&output.stdout);
    let line =
        text.lines().find(|l| l.contains("Overall exposure level")).unwrap_or_else(|| panic!("{text}"));
    let level: f64 = line
        .split("nhacviec.service:")
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
