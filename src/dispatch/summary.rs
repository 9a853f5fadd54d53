//! The weekly summary: computed from every task, sent to each department with
//! `summary = true` through each of its channels, once per day it is due.

use chrono::{DateTime, Utc};

use super::Dispatcher;
use crate::channels::Outgoing;
use crate::message::{DepartmentNames, Facts, SummaryFacts, SummaryRow};
use crate::store::StoreError;
use crate::summary::Summary;

/// Attempts per channel, a few seconds apart, before the report is recorded as failed.
const ATTEMPTS: u32 = 3;

impl Dispatcher {
    /// Sends the summary as of `now` to every summary department; returns how many were
    /// sent. Reports already sent today (before a restart) are not sent again.
    pub async fn send_summaries(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let recipients: Vec<_> = self.settings.departments.iter().filter(|d| d.summary).collect();
        if recipients.is_empty() {
            return Ok(0);
        }
        let today = self.policy.local_date(now);
        let summary = Summary::of_store(&self.store, &self.policy, today).await?;
        let rows: Vec<SummaryRow> = summary
            .by_department
            .iter()
            .map(|(code, figures)| SummaryRow {
                department: code.clone(),
                department_name: self.settings.departments.name_of(code),
                figures: figures.clone(),
            })
            .collect();
        let mut sent = 0;
        for department in recipients {
            for channel_name in &department.channels {
                let key = format!("summary.{}.{}.{channel_name}", department.code, today.format("%Y%m%d"));
                if self.store.report_sent(&key).await? {
                    continue;
                }
                let Some(channel) = self.channels.get(channel_name) else { continue };
                let facts = SummaryFacts {
                    key: key.clone(),
                    department: department.code.to_string(),
                    department_name: department.name.clone(),
                    date: today.format("%d/%m/%Y").to_string(),
                    rows: rows.clone(),
                    total: summary.total.clone(),
                };
                let mut error = None;
                match self.renderer.render_summary(&facts) {
                    Ok(message) => {
                        let outgoing = Outgoing {
                            key: &key,
                            department,
                            message: &message,
                            facts: Facts::Summary(&facts),
                            renderer: &self.renderer,
                        };
                        for attempt in 1..=ATTEMPTS {
                            match channel.send(channel_name, &outgoing).await {
                                Ok(()) => {
                                    error = None;
                                    break;
                                }
                                Err(e) => {
                                    let permanent = e.permanent;
                                    error = Some(e.message);
                                    if permanent || attempt == ATTEMPTS {
                                        break;
                                    }
                                    tokio::time::sleep(std::time::Duration::from_secs(
                                        2 * u64::from(attempt),
                                    ))
                                    .await;
                                }
                            }
                        }
                    }
                    Err(e) => error = Some(e.to_string()),
                }
                match &error {
                    None => {
                        sent += 1;
                        tracing::info!(%key, "weekly summary sent");
                    }
                    Some(error) => tracing::error!(%key, %error, "weekly summary failed"),
                }
                self.store
                    .record_report(&key, department.code.as_str(), channel_name, error.as_deref(), Utc::now())
                    .await?;
            }
        }
        Ok(sent)
    }
}
