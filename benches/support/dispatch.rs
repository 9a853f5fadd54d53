//! Sections `webhooks`, `emails`, `parts` and `python`: dispatch throughput with every send
//! recorded in the store, the store's and the renderer's own ceilings, and the Python
//! baselines against the same receivers.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::{DateTime, Days, NaiveTime, Utc};
use futures_util::StreamExt;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use nhacviec::channels::{Channel, Channels, Outgoing};
use nhacviec::config::Settings;
use nhacviec::daemon::planning::plan_due;
use nhacviec::dispatch::Dispatcher;
use nhacviec::domain::{
    Deadline, DepartmentCode, Directive, DirectiveId, Precision, Role, Task, TaskId, TaskStatus,
};
use nhacviec::domain::{NewDirective, NewTask};
use nhacviec::message::{Message, ReminderFacts, Renderer};
use nhacviec::outbox::Outcome;
use nhacviec::plan::{Policy, first_planning_at};
use nhacviec::store::Store;
use serde_json::Value;

use super::{
    ConfigSpec, Report, Schedule, department_codes, env_number, local_at, local_date, number, sqlite_url,
};

const CHUNK: usize = 50_000;
pub const DEPARTMENTS: usize = 20;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Webhooks,
    Emails,
}

impl Kind {
    pub fn section(self) -> &'static str {
        match self {
            Kind::Webhooks => "webhooks",
            Kind::Emails => "emails",
        }
    }

    fn channel(self) -> &'static [&'static str] {
        match self {
            Kind::Webhooks => &["chat"],
            Kind::Emails => &["email"],
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Kind::Webhooks => "webhooks/s",
            Kind::Emails => "emails/s",
        }
    }

    fn target(self) -> f64 {
        match self {
            Kind::Webhooks => 20_000.0,
            Kind::Emails => 5_000.0,
        }
    }
}

/// How many items and which delivery settings a run uses; each can be changed from the
/// environment to try other values.
pub struct Tuning {
    pub items: usize,
    pub batch_size: u32,
    pub concurrency: u32,
    pub pool_size: u32,
}

impl Tuning {
    pub fn for_kind(kind: Kind) -> Self {
        let (prefix, items, batch_size, concurrency, pool_size) = match kind {
            Kind::Webhooks => ("WEBHOOKS", 30_000, 2_000, 64, 8),
            Kind::Emails => ("EMAILS", 20_000, 1_000, 32, 32),
        };
        let var = |name: &str| format!("NHACVIEC_BENCH_{prefix}_{name}");
        Self {
            items: env_number(&var("ITEMS"), items),
            batch_size: env_number(&var("BATCH"), batch_size),
            concurrency: env_number(&var("CONCURRENCY"), concurrency),
            pool_size: env_number(&var("POOL"), pool_size),
        }
    }
}

/// The instant the dispatch sections plan at: inside the all-day window and already past,
/// whatever the hour the bench runs (planning at noon found nothing due in the morning):
/// a minute past midnight today, or noon yesterday in today's first minutes.
fn bench_now() -> anyhow::Result<DateTime<Utc>> {
    let now = Utc::now();
    let today = local_date(now);
    let early = local_at(today, NaiveTime::from_hms_opt(0, 1, 0).context("00:01")?);
    if early + chrono::Duration::minutes(1) <= now {
        return Ok(early);
    }
    let yesterday = today.pred_opt().context("yesterday")?;
    Ok(local_at(yesterday, NaiveTime::from_hms_opt(12, 0, 0).context("noon")?))
}

/// A directive of the tasks numbered `numbers`, led in turn by the bench's departments,
/// each due in 7 days: one reminder each, due at `now`, as the daemon plans them.
pub fn due_directive(
    settings: &Settings,
    policy: &Policy,
    numbers: std::ops::Range<usize>,
    now: DateTime<Utc>,
) -> anyhow::Result<NewDirective> {
    let codes: Vec<DepartmentCode> =
        department_codes(DEPARTMENTS).iter().map(|c| DepartmentCode::parse(c)).collect::<Result<_, _>>()?;
    let deadline = local_date(now).checked_add_days(Days::new(7)).context("deadline out of range")?;
    let tasks = numbers
        .map(|i| {
            let mut task = NewTask {
                section: Some("2".to_owned()),
                summary: format!("Nhiệm vụ {i}: hoàn thiện hồ sơ đề án và báo cáo UBND tỉnh trước thời hạn"),
                details: None,
                lead: codes[i % codes.len()].clone(),
                coordinating: Vec::new(),
                deadline: Some(Deadline {
                    date: deadline,
                    precision: Precision::Day,
                    phrase: Some("trong tháng".to_owned()),
                }),
                origin: None,
                recurrence: None,
                next_reminder_at: None,
            };
            let unsaved = task.as_unsaved_task(now);
            task.next_reminder_at =
                first_planning_at(&unsaved, settings.departments.escalate_to(&task.lead), policy);
            task
        })
        .collect();
    Ok(NewDirective {
        number: Some("123/TB-UBND".to_owned()),
        title: "Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc với thành phố Nam Định".to_owned(),
        issuer: "UBND tỉnh Nam Định".to_owned(),
        issued_on: local_date(now),
        source: None,
        source_hash: None,
        tasks,
    })
}

/// A store of `items` open tasks, each with one reminder (7 days before its deadline) due
/// at `now`, planned into the outbox by `plan_due` as the daemon would.
pub async fn prepare(
    spec: &ConfigSpec,
    items: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<(Settings, Store)> {
    let settings = spec.settings()?;
    let policy = Policy::from_settings(&settings);
    let store = Store::open(&spec.store_url).await?;
    let started = Instant::now();
    let mut start = 0;
    while start < items {
        let end = (start + CHUNK).min(items);
        store.add_directive(&due_directive(&settings, &policy, start..end, now)?, "bench", now).await?;
        start = end;
    }
    let inserted = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let planned = plan_due(&store, &settings, &policy, now).await?;
    if planned.tasks != items || planned.enqueued != items as u64 {
        bail!("planning {items} tasks gave {} tasks and {} outbox items", planned.tasks, planned.enqueued);
    }
    println!(
        "  {items} tasks inserted in {inserted:.1} s; plan_due enqueued {} reminders in {:.1} s",
        planned.enqueued,
        started.elapsed().as_secs_f64()
    );
    Ok((settings, store))
}

/// Sends `tuning.items` reminders through `kind`'s channel to `endpoint` and returns the
/// rate. Checks the outbox and `receiver_count` (what the endpoint received) at the end.
pub async fn run(
    report: &mut Report,
    kind: Kind,
    endpoint: Endpoint,
    receiver_count: impl Fn() -> u64,
) -> anyhow::Result<f64> {
    let section = kind.section();
    let tuning = Tuning::for_kind(kind);
    let dir = tempfile::tempdir().context("temp dir")?;
    let mut spec = ConfigSpec::new(sqlite_url(&dir.path().join("x.db")));
    spec.schedule = Schedule::AllDay;
    spec.batch_size = tuning.batch_size;
    spec.concurrency = tuning.concurrency;
    spec.pool_size = tuning.pool_size;
    spec.channels = kind.channel();
    spec.departments = DEPARTMENTS;
    let smtp_port = match endpoint {
        Endpoint::Http(url) => {
            spec.webhook_url = url;
            None
        }
        Endpoint::Smtp(port) => {
            spec.smtp_port = port;
            Some(port)
        }
    };
    let now = bench_now()?;
    let (settings, store) = prepare(&spec, tuning.items, now).await?;
    let settings = Arc::new(settings);
    let channels = Channels::from_settings(&settings)?;
    let renderer = Renderer::new(None)?;
    let dispatcher = Dispatcher::new(store.clone(), settings.clone(), channels, renderer);

    let before = receiver_count();
    let started = Instant::now();
    // As the daemon's tick does: every due item, a few batches in flight at once.
    let round = dispatcher.dispatch_due(&|| true).await?;
    let (sent, other) = (round.sent, round.total() - round.sent);
    let batches = round.total().div_ceil(tuning.batch_size.max(1) as usize);
    let elapsed = started.elapsed().as_secs_f64();
    let received = receiver_count() - before;
    let counts = store.outbox_counts().await?;
    store.close().await;

    let rate = sent as f64 / elapsed;
    let shown_counts = counts.iter().map(|(state, n)| format!("{state}={n}")).collect::<Vec<_>>().join(" ");
    println!(
        "  {sent} sent in {elapsed:.2} s over {batches} batches ({other} not sent); outbox: {shown_counts}"
    );
    let settings_shown = match kind {
        Kind::Webhooks => format!("batch {} conc {}", tuning.batch_size, tuning.concurrency),
        Kind::Emails => {
            format!("batch {} conc {} pool {}", tuning.batch_size, tuning.concurrency, tuning.pool_size)
        }
    };
    report.info(section, "delivery settings used", settings_shown);
    report.at_least(section, "dispatch rate, all recorded", rate, kind.unit(), kind.target());
    let all_sent = counts.len() == 1
        && counts.first().is_some_and(|(state, n)| state == "sent" && *n == tuning.items as i64);
    report.check(
        section,
        "outbox items in state sent",
        all_sent,
        shown_counts,
        format!("sent={}", tuning.items),
    );
    report.check(
        section,
        "messages the receiver counted",
        received == tuning.items as u64,
        number(received as f64),
        number(tuning.items as f64),
    );
    if let Err(error) = channel_alone(report, kind, &spec, &tuning, smtp_port).await {
        report.failed(section, &error);
    }
    Ok(rate)
}

/// The channel alone, without the store: the same rendered reminder sent up to 20,000
/// (webhooks) or 5,000 (emails) times with the same concurrency. For emails also lettre
/// on connections with TCP_NODELAY set.
async fn channel_alone(
    report: &mut Report,
    kind: Kind,
    spec: &ConfigSpec,
    tuning: &Tuning,
    smtp_port: Option<u16>,
) -> anyhow::Result<()> {
    let section = kind.section();
    let settings = spec.settings()?;
    let channels = Channels::from_settings(&settings)?;
    let name = kind.channel().first().copied().context("channel name")?;
    let channel = channels.get(name).context("the bench channel is missing")?;
    let code = DepartmentCode::parse("so-01")?;
    let department = settings.departments.get(&code).context("the bench department is missing")?;
    let (facts, message) = sample_message(&settings, bench_now()?)?;
    // Emails through lettre's pool wait on the network, not the CPU: fewer are enough.
    let items = match kind {
        Kind::Webhooks => tuning.items.min(20_000),
        Kind::Emails => tuning.items.min(5_000),
    };
    let keys: Vec<String> = (0..items).map(|i| format!("alone{i}.so-01.{name}")).collect();
    let started = Instant::now();
    let renderer = Renderer::new(None)?;
    let send = Send { channel, name, department, message: &message, facts: &facts, renderer: &renderer };
    let failures = send.all(&keys, tuning.concurrency).await;
    let rate = items as f64 / started.elapsed().as_secs_f64();
    let label = match kind {
        Kind::Webhooks => "reqwest",
        Kind::Emails => "lettre pool",
    };
    report.info(
        section,
        format!("channel alone, no store ({label}, conc {})", tuning.concurrency),
        format!("{} {}", number(rate), kind.unit()),
    );
    if failures > 0 {
        bail!("{failures} of {items} sends failed in the channel-alone run");
    }
    if let Some(port) = smtp_port {
        let nodelay = lettre_nodelay(&settings, port, &send, items, tuning.pool_size).await?;
        report.info(
            section,
            format!("lettre + TCP_NODELAY, {} conns, no store", tuning.pool_size),
            format!("{} {}", number(nodelay), kind.unit()),
        );
    }
    Ok(())
}

/// One reminder, ready to send many times.
struct Send<'a> {
    channel: &'a Channel,
    name: &'a str,
    department: &'a nhacviec::config::Department,
    message: &'a Message,
    facts: &'a ReminderFacts,
    renderer: &'a Renderer,
}

impl Send<'_> {
    fn outgoing<'k>(&'k self, key: &'k str) -> Outgoing<'k> {
        Outgoing {
            key,
            department: self.department,
            message: self.message,
            facts: nhacviec::message::Facts::Reminder(self.facts),
            renderer: self.renderer,
        }
    }

    /// Sends once per key, `concurrency` at a time; returns how many failed.
    async fn all(&self, keys: &[String], concurrency: u32) -> usize {
        futures_util::stream::iter(keys)
            .map(|key| async move {
                let outgoing = self.outgoing(key);
                self.channel.send(self.name, &outgoing).await.is_err()
            })
            .buffer_unordered(concurrency as usize)
            .filter(|failed| std::future::ready(*failed))
            .count()
            .await
    }
}

/// What lettre's own connection does once TCP_NODELAY is set: `connections` connections,
/// each sending its share in turn (with the NOOP lettre's pool sends before reusing a
/// connection), each email built by nhacviec's email channel.
async fn lettre_nodelay(
    settings: &Settings,
    port: u16,
    send: &Send<'_>,
    items: usize,
    connections: u32,
) -> anyhow::Result<f64> {
    let smtp = settings
        .channels
        .values()
        .find_map(|c| match c {
            nhacviec::config::ChannelSettings::Smtp(smtp) => Some(smtp),
            nhacviec::config::ChannelSettings::Webhook(_) => None,
        })
        .context("no smtp channel")?;
    let builder =
        nhacviec::channels::EmailChannel::new(smtp, settings.timezone).map_err(anyhow::Error::msg)?;
    let connections = connections.max(1) as usize;
    let started = Instant::now();
    let results = futures_util::future::join_all((0..connections).map(|c| {
        let builder = &builder;
        async move {
            let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
            stream.set_nodelay(true)?;
            let mut connection =
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &ClientId::default()).await?;
            for i in (c..items).step_by(connections) {
                let key = format!("nodelay{i}.so-01.email");
                let email = builder.build(&send.outgoing(&key)).map_err(|e| anyhow::anyhow!("{e}"))?;
                if !connection.test_connected().await {
                    bail!("the sink closed the connection");
                }
                connection.send(email.envelope(), &email.formatted()).await?;
            }
            connection.quit().await?;
            anyhow::Ok(())
        }
    }))
    .await;
    let rate = items as f64 / started.elapsed().as_secs_f64();
    results.into_iter().collect::<anyhow::Result<Vec<()>>>()?;
    Ok(rate)
}

/// The facts of a reminder 7 days before the task's deadline to its lead, `so-01`.
fn lead_facts(
    key: &str,
    task: &Task,
    directive: &Directive,
    today: chrono::NaiveDate,
    settings: &Settings,
) -> ReminderFacts {
    let deadline = task.deadline.as_ref().map_or(today, |d| d.date);
    let reminder = nhacviec::message::Reminder {
        key,
        task,
        directive,
        department: "so-01",
        role: Role::Lead,
        rule: "before:7d",
        deadline,
        due: deadline,
        today,
    };
    nhacviec::message::facts(&reminder, &settings.departments)
}

fn sample_message(settings: &Settings, now: DateTime<Utc>) -> anyhow::Result<(ReminderFacts, Message)> {
    let (task, directive) = sample_task(now)?;
    let today = local_date(now);
    let facts = lead_facts("t1.so-01.before-7d.sample", &task, &directive, today, settings);
    let message = Renderer::new(None)?.render(&facts)?;
    Ok((facts, message))
}

/// Where a channel delivers.
pub enum Endpoint {
    Http(String),
    Smtp(u16),
}

/// Section `parts`: what the store and the renderer alone allow, as ceilings for dispatch.
pub async fn parts(report: &mut Report) -> anyhow::Result<()> {
    const SECTION: &str = "parts";
    let tuning = Tuning::for_kind(Kind::Webhooks);
    let dir = tempfile::tempdir().context("temp dir")?;
    let mut spec = ConfigSpec::new(sqlite_url(&dir.path().join("x.db")));
    spec.schedule = Schedule::AllDay;
    spec.batch_size = tuning.batch_size;
    spec.channels = Kind::Webhooks.channel();
    let now = bench_now()?;
    let (settings, store) = prepare(&spec, tuning.items, now).await?;

    // The store's part of `dispatch_batch`, with every send taken as instant and accepted.
    let started = Instant::now();
    let mut done = 0;
    let (mut claim, mut read, mut finish) = (0.0, 0.0, 0.0);
    loop {
        let phase = Instant::now();
        let items = store.claim(now, settings.delivery.lease, tuning.batch_size).await?;
        claim += phase.elapsed().as_secs_f64();
        if items.is_empty() {
            break;
        }
        let phase = Instant::now();
        let mut task_ids: Vec<i64> = items.iter().filter_map(|i| i.task_id).collect();
        task_ids.sort_unstable();
        task_ids.dedup();
        let tasks = store.tasks_by_ids(&task_ids).await?;
        let mut directive_ids: Vec<i64> = tasks.values().map(|t| t.task.directive_id.0).collect();
        directive_ids.sort_unstable();
        directive_ids.dedup();
        store.directives_by_ids(&directive_ids).await?;
        read += phase.elapsed().as_secs_f64();
        done += items.len();
        let outcomes: Vec<_> =
            items.into_iter().map(|item| (item, Outcome::Sent { duration_ms: 0 })).collect();
        let phase = Instant::now();
        store.finish(&outcomes, now).await?;
        finish += phase.elapsed().as_secs_f64();
    }
    let store_rate = done as f64 / started.elapsed().as_secs_f64();
    store.close().await;
    report.info(
        SECTION,
        format!("store alone: claim+read+finish (batch {})", tuning.batch_size),
        format!("{} items/s", number(store_rate)),
    );
    let per_item = |seconds: f64| format!("{:.1} µs/item", seconds * 1e6 / done.max(1) as f64);
    report.info(SECTION, "  of which claim (UPDATE … RETURNING)", per_item(claim));
    report.info(SECTION, "  of which tasks_by_ids + directives_by_ids", per_item(read));
    report.info(SECTION, "  of which finish (UPDATE + INSERT per item)", per_item(finish));

    // Rendering alone, on one thread.
    let renderer = Renderer::new(None)?;
    let (task, directive) = sample_task(now)?;
    let today = local_date(now);
    let count = 20_000;
    let started = Instant::now();
    for i in 0..count {
        let key = format!("t{i}.so-01.before-7d.x.chat");
        let facts = lead_facts(&key, &task, &directive, today, &settings);
        renderer.render(&facts)?;
    }
    let render_rate = count as f64 / started.elapsed().as_secs_f64();
    report.info(SECTION, "facts + render alone, one thread", format!("{} msgs/s", number(render_rate)));
    Ok(())
}

fn sample_task(now: DateTime<Utc>) -> anyhow::Result<(Task, Directive)> {
    let today = local_date(now);
    let task = Task {
        id: TaskId(1),
        directive_id: DirectiveId(1),
        section: Some("2".to_owned()),
        summary: "Nhiệm vụ 1: hoàn thiện hồ sơ đề án và báo cáo UBND tỉnh trước thời hạn".to_owned(),
        details: None,
        lead: DepartmentCode::parse("so-01")?,
        coordinating: Vec::new(),
        deadline: Some(Deadline {
            date: today.checked_add_days(Days::new(7)).context("date")?,
            precision: Precision::Day,
            phrase: Some("trong tháng".to_owned()),
        }),
        recurrence: None,
        status: TaskStatus::Open,
        done_on: None,
        created_at: now,
    };
    let directive = Directive {
        id: DirectiveId(1),
        number: Some("123/TB-UBND".to_owned()),
        title: "Kết luận của Chủ tịch UBND tỉnh tại buổi làm việc với thành phố Nam Định".to_owned(),
        issuer: "UBND tỉnh Nam Định".to_owned(),
        issued_on: today,
    };
    Ok((task, directive))
}

/// Writes the JSON body nhacviec's webhook sends for a typical reminder (key, subject,
/// text and the facts), for the Python baselines to send too.
pub fn write_sample(dir: &Path) -> anyhow::Result<PathBuf> {
    let settings = ConfigSpec::new("sqlite://unused.db".to_owned()).settings()?;
    let (facts, message) = sample_message(&settings, bench_now()?)?;
    let mut body = serde_json::to_value(&facts)?;
    if let Value::Object(map) = &mut body {
        map.insert("key".to_owned(), Value::String(facts.key.clone()));
        map.insert("subject".to_owned(), Value::String(message.subject));
        map.insert("text".to_owned(), Value::String(message.text));
    }
    let path = dir.join("sample.json");
    std::fs::write(&path, serde_json::to_vec(&body)?)?;
    Ok(path)
}

/// What a Python baseline measured, or why it did not run.
pub enum Baseline {
    Rate { count: u64, seconds: f64, rate: f64 },
    Skipped(String),
}

/// Runs benches/support/baseline.py in `mode` (`http` or `smtp`) against `target` for
/// `seconds`.
pub async fn python(mode: &str, target: &str, sample: &Path, seconds: f64) -> anyhow::Result<Baseline> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/support/baseline.py");
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .arg(mode)
        .arg(target)
        .arg("--seconds")
        .arg(seconds.to_string())
        .arg("--sample")
        .arg(sample)
        .output()
        .await
        .context("cannot run python3")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_str(last).ok();
    match parsed {
        Some(value) if output.status.success() => {
            if let Some(reason) = value.get("skipped").and_then(Value::as_str) {
                return Ok(Baseline::Skipped(reason.to_owned()));
            }
            let field = |name: &str| value.get(name).and_then(Value::as_f64).unwrap_or(0.0);
            Ok(Baseline::Rate {
                count: field("count") as u64,
                seconds: field("seconds"),
                rate: field("rate"),
            })
        }
        _ => bail!(
            "{} {mode} failed ({}): {}{}",
            script.display(),
            output.status,
            stdout.trim(),
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    }
}

/// Reports a Python baseline and how nhacviec compares with it.
pub fn report_baseline(
    report: &mut Report,
    what: &str,
    baseline: &Baseline,
    received: u64,
    nhacviec: Option<f64>,
    ratio_target: f64,
) {
    const SECTION: &str = "python";
    match baseline {
        Baseline::Skipped(reason) => report.info(SECTION, what.to_owned(), format!("skipped: {reason}")),
        Baseline::Rate { count, seconds, rate } => {
            println!("  {what}: {count} in {seconds:.2} s, the receiver counted {received}");
            report.info(SECTION, what.to_owned(), format!("{} msgs/s", number(*rate)));
            match nhacviec {
                Some(ours) if *rate > 0.0 => report.at_least(
                    SECTION,
                    format!("nhacviec / {}", what.split_whitespace().next().unwrap_or(what)),
                    ours / rate,
                    "×",
                    ratio_target,
                ),
                _ => println!("  (no nhacviec rate measured in this run to compare with)"),
            }
        }
    }
}
