//! nhacviec — reminds government departments of the tasks directives assign them, before
//! and after every deadline, until each task is done.
//!
//! A reminder travels through the modules in this order:
//!
//! - [`config`]: the settings tree, validated once at start and on reload;
//! - [`domain`]: departments, deadlines, directives and tasks, as types that hold only valid
//!   values;
//! - [`import`]: reads a directive's own text (UTF-8 or a legacy encoding) and proposes its
//!   tasks, bodies and deadlines for a person to review;
//! - [`directive_file`]: reads a directive and its tasks from TOML, resolving departments;
//! - [`calendar`]: which days are working days;
//! - [`plan`]: pure functions from a task, the schedule and the clock to the reminders due;
//! - [`app`]: what people change (add, edit, done, extend, acknowledge), checked and
//!   planned the same way from the CLI, the API and acknowledge links, and the views,
//!   previews and explanations they read;
//! - [`store`]: directives, tasks, task events, the outbox and delivery attempts, behind one
//!   interface that names no engine above it;
//! - [`outbox`]: reminder keys, states and the retry policy;
//! - [`message`]: the Vietnamese text of a reminder;
//! - [`channels`]: email over SMTP and JSON webhooks;
//! - [`dispatch`]: claims due outbox items, re-checks them, sends, records each attempt;
//! - [`daemon`]: the long-running process that ties it together;
//! - [`http`]: health, metrics, the JSON API, acknowledge links and calendar feeds;
//! - [`links`]: signed acknowledge links and calendar-feed tokens;
//! - [`feed`]: a department's deadlines as an iCalendar feed;
//! - [`export`]: tables as CSV (with a byte-order mark, for Excel) and XLSX;
//! - [`cli`]: the command line, the only place that turns errors into exit codes.

pub mod app;
pub mod calendar;
pub mod channels;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod directive_file;
pub mod dispatch;
pub mod domain;
pub mod export;
pub mod feed;
pub mod http;
pub mod import;
pub mod links;
pub mod message;
pub mod outbox;
pub mod plan;
pub mod shutdown;
pub mod sources;
pub mod store;
pub mod summary;
