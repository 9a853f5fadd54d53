//! The templates: built into the binary, each replaceable by a file of the same name in the
//! directory `templates.dir` names, which may also hold bodies of its own for generic
//! webhooks. Errors name the file and the line.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use minijinja::Environment;
use serde::Serialize;

use super::{DigestFacts, Message, ReminderFacts};

/// The built-in templates, by name; a file `NAME.j2` in `templates.dir` replaces one.
const BUILT_IN: [(&str, &str); 13] = [
    ("subject.txt", include_str!("../../templates/subject.txt.j2")),
    ("body.txt", include_str!("../../templates/body.txt.j2")),
    ("body.html", include_str!("../../templates/body.html.j2")),
    ("digest.subject.txt", include_str!("../../templates/digest.subject.txt.j2")),
    ("digest.txt", include_str!("../../templates/digest.txt.j2")),
    ("digest.html", include_str!("../../templates/digest.html.j2")),
    ("summary.subject.txt", include_str!("../../templates/summary.subject.txt.j2")),
    ("summary.txt", include_str!("../../templates/summary.txt.j2")),
    ("summary.html", include_str!("../../templates/summary.html.j2")),
    ("notice.subject.txt", include_str!("../../templates/notice.subject.txt.j2")),
    ("notice.txt", include_str!("../../templates/notice.txt.j2")),
    ("notice.html", include_str!("../../templates/notice.html.j2")),
    ("webhook.json", include_str!("../../templates/webhook.json.j2")),
];

/// A template that does not parse or render, with where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TemplateError {
    /// The file, or `templates/NAME.j2 (built in)`.
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Renders reminders; built once, shared by the senders.
pub struct Renderer {
    env: Environment<'static>,
    /// Where each template came from, for errors.
    origins: BTreeMap<String, String>,
}

impl Renderer {
    /// The built-in templates, with those in `dir` (if any) in their place or beside them.
    pub fn new(dir: Option<&Path>) -> Result<Self, TemplateError> {
        let mut sources: BTreeMap<String, (String, String)> = BUILT_IN
            .iter()
            .map(|(name, text)| {
                (name.to_string(), (format!("templates/{name}.j2 (built in)"), text.to_string()))
            })
            .collect();
        if let Some(dir) = dir {
            for (name, path) in template_files(dir)? {
                let text = std::fs::read_to_string(&path).map_err(|e| TemplateError {
                    file: path.display().to_string(),
                    line: None,
                    message: format!("cannot read: {e}"),
                })?;
                sources.insert(name, (path.display().to_string(), text));
            }
        }
        let mut env = Environment::new();
        let mut origins = BTreeMap::new();
        for (name, (origin, text)) in sources {
            env.add_template_owned(name.clone(), text).map_err(|e| located(&e, &origin))?;
            origins.insert(name, origin);
        }
        Ok(Self { env, origins })
    }

    /// The names of the templates, built in or from the directory.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.origins.keys().map(String::as_str)
    }

    fn render_named(&self, name: &str, context: impl Serialize) -> Result<String, TemplateError> {
        let origin = self.origins.get(name).cloned().unwrap_or_else(|| format!("{name}.j2"));
        let template = self.env.get_template(name).map_err(|_| TemplateError {
            file: origin.clone(),
            line: None,
            message: format!("no template named '{name}' (a file {name}.j2 in templates.dir)"),
        })?;
        template.render(minijinja::value::Serde(context)).map_err(|e| located(&e, &origin))
    }

    pub fn render(&self, facts: &ReminderFacts) -> Result<Message, TemplateError> {
        self.render_message(["subject.txt", "body.txt", "body.html"], facts)
    }

    /// A department's daily digest.
    pub fn render_digest(&self, facts: &DigestFacts) -> Result<Message, TemplateError> {
        self.render_message(["digest.subject.txt", "digest.txt", "digest.html"], facts)
    }

    /// The weekly summary; `facts` as the `summary.*` templates expect them.
    pub fn render_summary(&self, facts: &impl Serialize) -> Result<Message, TemplateError> {
        self.render_message(["summary.subject.txt", "summary.txt", "summary.html"], facts)
    }

    /// A notice of the web pages (a sign-in link, an extension request or its decision).
    pub fn render_notice(&self, facts: &super::NoticeFacts) -> Result<Message, TemplateError> {
        self.render_message(["notice.subject.txt", "notice.txt", "notice.html"], facts)
    }

    /// A message from its subject, text and HTML templates.
    fn render_message(
        &self,
        [subject, text, html]: [&str; 3],
        facts: &impl Serialize,
    ) -> Result<Message, TemplateError> {
        let subject = self.render_named(subject, facts)?;
        let text = self.render_named(text, facts)?;
        let html = self.render_named(html, facts)?;
        Ok(Message {
            // A subject is one line, whatever the template's line breaks.
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: text.trim().to_owned() + "\n",
            html,
        })
    }

    /// The body of a generic webhook from template `name`: the reminder's facts with its
    /// subject, text and key, as `reminder`. The result must be JSON.
    pub fn render_webhook(&self, name: &str, reminder: &impl Serialize) -> Result<String, TemplateError> {
        #[derive(Serialize)]
        struct Context<'a, T> {
            reminder: &'a T,
        }
        let body = self.render_named(name, Context { reminder })?;
        if let Err(e) = serde_json::from_str::<serde_json::Value>(&body) {
            let origin = self.origins.get(name).cloned().unwrap_or_else(|| name.to_owned());
            return Err(TemplateError {
                file: origin,
                line: None,
                message: format!("does not render JSON: {e}"),
            });
        }
        Ok(body)
    }
}

/// The `*.j2` files of a directory, by template name (the file name less `.j2`).
fn template_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, TemplateError> {
    let unreadable = |e: std::io::Error| TemplateError {
        file: dir.display().to_string(),
        line: None,
        message: format!("cannot read the templates folder: {e}"),
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let name = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".j2"));
        if let Some(name) = name {
            files.push((name.to_owned(), path.clone()));
        }
    }
    files.sort();
    Ok(files)
}

fn located(error: &minijinja::Error, origin: &str) -> TemplateError {
    let mut message = error.kind().to_string();
    if let Some(detail) = error.detail() {
        message = format!("{message}: {detail}");
    }
    TemplateError { file: origin.to_owned(), line: error.line(), message }
}
