//! `nhacviec token new` and `nhacviec feed-url`: the credentials of the HTTP face.

use clap::ValueEnum;

use super::InputError;
use crate::config::Settings;
use crate::links::ReminderLinks;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ScopeArg {
    Read,
    Write,
}

/// Prints a new API token once, and the `[[http.tokens]]` entry that admits it.
pub fn new_token(name: &str, scope: ScopeArg) -> anyhow::Result<()> {
    let name = name.trim();
    if name.is_empty() || name.contains('"') {
        return Err(InputError("--name: name the client, e.g. e-office (no quotes)".into()).into());
    }
    let (token, digest) =
        crate::http::auth::new_token().map_err(|e| anyhow::anyhow!("cannot read random bytes: {e}"))?;
    let scope = match scope {
        ScopeArg::Read => "read",
        ScopeArg::Write => "write",
    };
    outln!("Token (give it to the client; it is not stored and cannot be shown again):");
    outln!("  {token}");
    outln!();
    outln!("Add to the config, then reload the daemon (systemctl reload nhacviec):");
    outln!("[[http.tokens]]");
    outln!("name = \"{name}\"");
    outln!("sha256 = \"{digest}\"");
    outln!("scope = \"{scope}\"");
    Ok(())
}

/// Prints the address of a department's calendar feed.
pub fn feed_url(settings: &Settings, department: &str) -> anyhow::Result<()> {
    let department = settings.departments.resolve(department).ok_or_else(|| {
        InputError(format!("unknown department '{department}': use a code, name or alias from the config"))
    })?;
    let links = ReminderLinks::from_settings(&settings.http).ok_or_else(|| {
        InputError("calendar feeds need http.public_url and http.link_key in the config".into())
    })?;
    outln!("{}", links.calendar_url(&department.code));
    Ok(())
}
