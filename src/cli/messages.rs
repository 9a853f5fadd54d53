//! `nhacviec render` (one reminder as it would be sent) and `nhacviec send-test` (a test
//! message through each of a department's channels).

use std::collections::HashSet;

use chrono::{NaiveDate, Utc};
use clap::Args;

use super::{InputError, open_store, parse_date};
use crate::channels::{Channels, Outgoing};
use crate::config::{Department, Settings};
use crate::dispatch;
use crate::domain::Rule;
use crate::domain::{Role, TaskId};
use crate::message::{self, Renderer};
use crate::plan::{self, PlannedReminder, Policy, Series};
use crate::store::StoreError;

#[derive(Args, Debug)]
pub struct RenderArgs {
    #[arg(long)]
    task: i64,
    /// The rule: before:7d, before:3wd, due, overdue or escalate.
    #[arg(long)]
    rule: String,
    /// The department it goes to (code, name or alias); the lead by default, or the
    /// escalation target for `escalate`.
    #[arg(long)]
    department: Option<String>,
    /// Print exactly what this channel would send (the MIME email, or the JSON body).
    #[arg(long)]
    channel: Option<String>,
    /// The day it is sent, for the days left; the rule's own day by default.
    #[arg(long, value_parser = parse_date)]
    on: Option<NaiveDate>,
}

fn department<'a>(settings: &'a Settings, label: &str) -> Result<&'a Department, InputError> {
    settings.departments.resolve(label).ok_or_else(|| InputError(format!("unknown department '{label}'")))
}

pub async fn render(settings: &Settings, args: &RenderArgs) -> anyhow::Result<()> {
    let rule = Rule::parse(&args.rule).map_err(|e| InputError(format!("--rule: {e}")))?;
    let store = open_store(settings).await?;
    let record = store.task(TaskId(args.task)).await.map_err(|e| match e {
        StoreError::NoSuchTask(id) => anyhow::Error::from(InputError(format!("no task with id {id}"))),
        other => other.into(),
    })?;
    let task = &record.task;
    let deadline = task
        .deadline
        .as_ref()
        .ok_or_else(|| InputError(format!("task {} has no deadline: it is never reminded", task.id)))?;
    let directive = store
        .directive(task.directive_id)
        .await?
        .ok_or_else(|| InputError(format!("the directive of task {} is missing", task.id)))?;
    let escalate_to = settings.departments.escalate_to(&task.lead);
    let (series, default_department) = match rule {
        Rule::Escalate => (
            Series::Escalation,
            escalate_to
                .ok_or_else(|| InputError(format!("lead '{}' has no escalate_to", task.lead)))?
                .clone(),
        ),
        _ => (Series::Reminders, task.lead.clone()),
    };
    let department = match &args.department {
        Some(label) => department(settings, label)?,
        None => settings
            .departments
            .get(&default_department)
            .ok_or_else(|| InputError(format!("department '{default_department}' is not in the config")))?,
    };
    let role = plan::recipients(task, series, escalate_to)
        .into_iter()
        .find(|(code, _)| *code == department.code)
        .map(|(_, role)| role)
        .ok_or_else(|| {
            InputError(format!(
                "department '{}' gets no '{}' reminder for task {}",
                department.code, args.rule, task.id
            ))
        })?;
    let policy = Policy::from_settings(settings);
    let occurrence = series
        .occurrences(deadline.date, &policy, policy.calendar_for(&department.code))
        .take(10_000)
        .find(|o| o.rule == rule)
        .ok_or_else(|| {
            InputError(format!("the schedule has no '{}' reminder for task {}", args.rule, task.id))
        })?;
    let today = args.on.unwrap_or(occurrence.day);
    // The message the daemon sends: the planner's fan-out gives its channel and key, and
    // dispatch's own composition its facts and links.
    let reminder =
        PlannedReminder::of(task, &department.code, role, &occurrence, deadline.date, occurrence.at);
    let fanned = plan::fan_out(&reminder, settings, &policy, &HashSet::new());
    let channel = match &args.channel {
        Some(name) => name.clone(),
        None => fanned.items.first().map(|i| i.channel.clone()).unwrap_or_default(),
    };
    let key = reminder.key(&channel);
    let links = crate::links::ReminderLinks::from_settings(&settings.http);
    let facts = dispatch::reminder_facts(
        &dispatch::Reminder { key: &key, role, rule, deadline: deadline.date, today },
        task,
        &directive,
        &department.code,
        settings,
        &policy,
        links.as_ref(),
    );
    let renderer = Renderer::new(settings.templates_dir.as_deref())?;
    let rendered = renderer.render(&facts)?;
    match &args.channel {
        None => {
            outln!(
                "Gửi lúc: {} · {} ({})",
                occurrence.day.format("%d/%m/%Y"),
                department.name,
                role.vietnamese()
            );
            outln!("Tiêu đề: {}\n\n{}", rendered.subject, rendered.text);
        }
        Some(name) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let channels = Channels::from_settings(settings)?;
            let channel = channels
                .get(name)
                .ok_or_else(|| InputError(format!("--channel: unknown channel '{name}'")))?;
            let outgoing = Outgoing {
                key: &key,
                department,
                message: &rendered,
                facts: message::Facts::Reminder(&facts),
                renderer: &renderer,
            };
            let wire = channel.preview(name, &outgoing).map_err(|e| InputError(e.message))?;
            outln!("{wire}");
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct SendTestArgs {
    /// The department (code, name or alias).
    #[arg(long)]
    department: String,
    /// Only this channel; all of the department's by default.
    #[arg(long)]
    channel: Option<String>,
}

/// Sends a test message through each channel; fails when any send failed.
pub async fn send_test(settings: &Settings, args: &SendTestArgs) -> anyhow::Result<()> {
    let department = department(settings, &args.department)?;
    let names: Vec<String> = match &args.channel {
        Some(name) if department.channels.contains(name) => vec![name.clone()],
        Some(name) => {
            return Err(InputError(format!(
                "department '{}' does not use channel '{name}'",
                department.code
            ))
            .into());
        }
        None => department.channels.clone(),
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let channels = Channels::from_settings(settings)?;
    let renderer = Renderer::new(settings.templates_dir.as_deref())?;
    let stamp = Utc::now().format("%Y%m%d%H%M%S");
    let mut failed = 0;
    for name in &names {
        let mut facts = message::sample_facts(department.code.as_str(), &department.name);
        facts.key = format!("test.{}.{stamp}.{name}", department.code);
        facts.role = Role::Lead;
        let rendered = renderer.render(&facts)?;
        let outgoing = Outgoing {
            key: &facts.key,
            department,
            message: &rendered,
            facts: message::Facts::Reminder(&facts),
            renderer: &renderer,
        };
        let Some(channel) = channels.get(name) else {
            outln!("{name}: không có kênh này trong cấu hình");
            failed += 1;
            continue;
        };
        match channel.send(name, &outgoing).await {
            Ok(()) => outln!("{name}: đã gửi (mã {})", facts.key),
            Err(e) => {
                outln!("{name}: lỗi: {}{}", e.message, if e.permanent { "" } else { " (có thể thử lại)" });
                failed += 1;
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} channel(s) failed", names.len());
    }
    Ok(())
}
