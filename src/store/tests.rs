use chrono::{Duration, NaiveDate, TimeZone};

use super::*;
use crate::domain::{
    Acknowledgement, Deadline, DepartmentCode, NewDirective, NewTask, Role, Rule, TaskId, TaskText,
};
use crate::outbox::{ItemKind, NewOutboxItem, OutboxState, Outcome, Supersede};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 11, 23, 1, 0, 0).unwrap()
}

/// A store of the test's own: a SQLite file in a folder removed after, or a PostgreSQL
/// database (on the server of `NHACVIEC_TEST_POSTGRES`, by default
/// postgres://postgres@127.0.0.1:5432) dropped after.
pub(crate) struct TestStore {
    pub store: Store,
    _folder: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestStore {
    pub async fn sqlite() -> Self {
        let folder = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", folder.path().join("sub/dir/test.db").display());
        let store = Store::open(&url).await.unwrap();
        Self { store, _folder: Some(folder), postgres: None }
    }

    pub async fn postgres() -> Self {
        use sqlx::{Connection, Executor};
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let server = std::env::var("NHACVIEC_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned());
        let mut random = [0u8; 4];
        getrandom::fill(&mut random).unwrap();
        let name = format!(
            "nhacviec_store_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            hex::encode(random)
        );
        let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {server} (NHACVIEC_TEST_POSTGRES): {e}"));
        admin.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
        let store = Store::open(&format!("{server}/{name}")).await.unwrap();
        Self { store, _folder: None, postgres: Some((server, name)) }
    }
}

impl TestStore {
    /// A store of each engine, for tests outside the store that must hold on every one.
    pub async fn each_engine() -> [TestStore; 2] {
        [TestStore::sqlite().await, TestStore::postgres().await]
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let Some((server, name)) = self.postgres.take() else { return };
        // On a runtime of its own: the test's may be gone.
        let _ = std::thread::spawn(move || {
            use sqlx::{Connection, Executor};
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&format!("{server}/postgres")).await {
                    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    let _ = admin.execute(sqlx::AssertSqlSafe(drop)).await;
                }
            });
        })
        .join();
    }
}

impl Store {
    /// The same store as another daemon uses it: its leases and claims are not this one's.
    fn as_another_daemon(&self) -> Store {
        let engine = match &self.engine {
            Engine::Sqlite(db) => Engine::Sqlite(db.as_another_daemon()),
            Engine::Postgres(db) => Engine::Postgres(db.as_another_daemon()),
        };
        Store { engine, lock: None }
    }
}

/// Each test, once on each engine: `sqlite::NAME` and `postgres::NAME`.
macro_rules! on_each_engine {
    ($(async fn $name:ident($store:ident: &Store) $body:block)*) => {
        $(async fn $name($store: &Store) $body)*

        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                let test = super::TestStore::sqlite().await;
                super::$name(&test.store).await;
            })*
        }

        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                let test = super::TestStore::postgres().await;
                super::$name(&test.store).await;
            })*
        }
    };
}

/// The shipped lease.
const LEASE: std::time::Duration = std::time::Duration::from_secs(300);

/// A lease that runs out within the test, on the database's clock as on the daemon's.
const SHORT_LEASE: std::time::Duration = std::time::Duration::from_secs(1);

/// Long enough for a `SHORT_LEASE` taken at any instant to have run out, counted in whole
/// seconds and never early.
async fn outlive_short_lease() {
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
}

fn code(text: &str) -> DepartmentCode {
    DepartmentCode::parse(text).unwrap()
}

fn directive(next: Option<DateTime<Utc>>) -> NewDirective {
    NewDirective {
        number: Some("123/TB-UBND".into()),
        title: "Kết luận".into(),
        issuer: "UBND tỉnh Nam Định".into(),
        issued_on: NaiveDate::from_ymd_opt(2021, 9, 21).unwrap(),
        source: None,
        source_hash: None,
        tasks: vec![NewTask {
            section: Some("3".into()),
            summary: "Đề án".into(),
            details: None,
            lead: code("snv"),
            coordinating: vec![code("ubnd-tpnd"), code("stc")],
            deadline: Some(Deadline::parse("2021-11", Some("vào tháng 11/2021".into())).unwrap()),
            origin: None,
            recurrence: None,
            next_reminder_at: next,
        }],
    }
}

fn item(key: &str, due_at: DateTime<Utc>) -> NewOutboxItem {
    NewOutboxItem {
        key: key.into(),
        kind: ItemKind::Reminder,
        task_id: Some(TaskId(1)),
        department: code("snv"),
        role: Role::Lead,
        rule: Rule::parse("before:7d").unwrap(),
        day: NaiveDate::from_ymd_opt(2021, 11, 23).unwrap(),
        deadline: NaiveDate::from_ymd_opt(2021, 11, 30).unwrap(),
        channel: "email".into(),
        due_at,
        send_after: due_at,
        digest: false,
    }
}

fn plan(items: Vec<NewOutboxItem>, next: Option<DateTime<Utc>>) -> PlanWrite {
    PlanWrite {
        task_id: TaskId(1),
        deadline: NaiveDate::from_ymd_opt(2021, 11, 30),
        planned_until: now(),
        next_reminder_at: next,
        // As the planner says: each new reminder replaces older ones pending for its
        // department and channel.
        supersede: items
            .iter()
            .map(|i| Supersede {
                task_id: TaskId(1),
                department: i.department.clone(),
                channel: i.channel.clone(),
                before: i.due_at,
            })
            .collect(),
        items,
        revision: 0,
    }
}

on_each_engine! {
    async fn tasks_round_trip_with_coordinators_in_order(store: &Store) {
        let (_, ids) = store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let record = store.task(ids[0]).await.unwrap();
        assert_eq!(record.task.coordinating, vec![code("ubnd-tpnd"), code("stc")]);
        assert_eq!(record.task.deadline.as_ref().unwrap().phrase.as_deref(), Some("vào tháng 11/2021"));
        assert_eq!(record.next_reminder_at, Some(now()));
        let filter = TaskFilter { department: Some(code("stc")), ..TaskFilter::default() };
        assert_eq!(store.tasks(&filter).await.unwrap().len(), 1);
        let filter = TaskFilter { department: Some(code("sxd")), ..TaskFilter::default() };
        assert!(store.tasks(&filter).await.unwrap().is_empty());
    }

    async fn inserting_the_same_key_twice_is_a_no_op(store: &Store) {
        store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let write = plan(vec![item("k1", now())], Some(now() + Duration::days(3)));
        assert_eq!(store.record_plans(std::slice::from_ref(&write), now()).await.unwrap(), 1);
        assert_eq!(store.record_plans(&[write], now()).await.unwrap(), 0);
        assert_eq!(store.outbox(None, None, 10).await.unwrap().len(), 1);
        assert_eq!(store.next_task_due().await.unwrap(), Some(now() + Duration::days(3)));
    }

    async fn a_newer_reminder_replaces_an_older_one_still_pending(store: &Store) {
        store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        store.record_plans(&[plan(vec![item("old", now() - Duration::days(3))], None)], now()).await.unwrap();
        store.record_plans(&[plan(vec![item("new", now())], None)], now()).await.unwrap();
        let items = store.outbox(None, None, 10).await.unwrap();
        let states: Vec<_> = items.iter().map(|i| (i.key.as_str(), i.state)).collect();
        assert_eq!(states, vec![("old", OutboxState::Cancelled), ("new", OutboxState::Pending)]);
    }

    async fn claims_lease_items_and_outcomes_move_them(store: &Store) {
        store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let items: Vec<_> = (0..4).rev().map(|i| item(&format!("k{i}"), now() - Duration::minutes(i))).collect();
        store.record_plans(&[plan(items, None)], now()).await.unwrap();
        // The newest supersedes the older pending ones of the same recipient and channel.
        let pending = store.outbox(Some(OutboxState::Pending), None, 10).await.unwrap();
        assert_eq!(pending.len(), 1);

        let claimed = store.claim(now(), SHORT_LEASE, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].attempts, 1);
        assert!(store.claim(now(), SHORT_LEASE, 10).await.unwrap().is_empty(), "claimed twice");
        // A lease that ran out (the sender died) is claimed again.
        outlive_short_lease().await;
        let again = store.claim(now() + Duration::minutes(6), LEASE, 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);

        let retry_at = now() + Duration::minutes(20);
        let outcome = Outcome::Retry { at: retry_at, error: "HTTP 500".into(), duration_ms: 3 };
        store.finish(&[(again[0].clone(), outcome)], now()).await.unwrap();
        let item = &store.outbox(Some(OutboxState::Pending), None, 10).await.unwrap()[0];
        assert_eq!((item.send_after, item.last_error.as_deref()), (retry_at, Some("HTTP 500")));
        assert_eq!(store.next_outbox_due().await.unwrap(), Some(retry_at));

        let claimed = store.claim(retry_at, LEASE, 10).await.unwrap();
        store.finish(&[(claimed[0].clone(), Outcome::Sent { duration_ms: 2 })], retry_at).await.unwrap();
        let sent = store.outbox(Some(OutboxState::Sent), None, 10).await.unwrap();
        assert_eq!(sent[0].attempts, 3);
        assert_eq!(store.next_outbox_due().await.unwrap(), None);
    }

    async fn marking_done_cancels_pending_reminders_and_stops_planning(store: &Store) {
        let (_, ids) = store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        store.record_plans(&[plan(vec![item("k", now())], Some(now()))], now()).await.unwrap();
        let on = NaiveDate::from_ymd_opt(2021, 11, 24).unwrap();
        assert!(store.mark_done(ids[0], on, None, "test", now()).await.unwrap());
        assert!(!store.mark_done(ids[0], on, None, "test", now()).await.unwrap());
        assert!(matches!(
            store.mark_done(TaskId(99), on, None, "test", now()).await,
            Err(StoreError::NoSuchTask(99))
        ));
        assert_eq!(store.outbox(Some(OutboxState::Cancelled), None, 10).await.unwrap().len(), 1);
        assert!(store.due_tasks(now() + Duration::days(999), 10).await.unwrap().is_empty());
        let kinds: Vec<_> = store.task_events(ids[0]).await.unwrap().into_iter().map(|e| e.kind).collect();
        assert_eq!(kinds, vec!["created", "done"]);
    }

    async fn a_plan_made_for_an_old_deadline_leaves_an_extended_task_alone(store: &Store) {
        let (_, ids) = store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let extended = Deadline::parse("2021-12-31", None).unwrap();
        let next = now() + Duration::days(20);
        store.extend(ids[0], &extended, "chờ ý kiến", Some(next), "test", now()).await.unwrap();
        // A planner that read the task before the extension writes its plan afterwards.
        store.record_plans(&[plan(vec![], Some(now() + Duration::days(1)))], now()).await.unwrap();
        let record = store.task(ids[0]).await.unwrap();
        assert_eq!(record.next_reminder_at, Some(next));
        assert_eq!(record.planned_until, None);
    }


    async fn digest_items_wait_apart_and_are_claimed_together(store: &Store) {
        store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let digest = |key: &str, channel: &str| NewOutboxItem {
            digest: true,
            channel: channel.into(),
            ..item(key, now())
        };
        let items = vec![digest("a", "email"), digest("b", "email"), digest("c", "chat"), item("d", now())];
        // One write per item so that none supersedes another.
        for one in items {
            let mut write = plan(vec![one], None);
            write.planned_until = now();
            store.record_plans(&[write], now()).await.unwrap();
        }
        // The ordinary claim leaves digest items alone.
        let single = store.claim(now(), LEASE, 10).await.unwrap();
        assert_eq!(single.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["d"]);
        let due = store.digests_due(now()).await.unwrap();
        assert_eq!(due, [("snv".to_owned(), "chat".to_owned()), ("snv".to_owned(), "email".to_owned())]);
        let claimed = store.claim_digest("snv", "email", now(), SHORT_LEASE).await.unwrap();
        assert_eq!(claimed.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["a", "b"]);
        assert!(
            store.claim_digest("snv", "email", now(), SHORT_LEASE).await.unwrap().is_empty()
        );
        // Their lease run out, they are claimed again together.
        outlive_short_lease().await;
        let later = now() + Duration::minutes(6);
        assert_eq!(
            store.claim_digest("snv", "email", later, LEASE).await.unwrap().len(),
            2
        );
    }


    async fn an_acknowledgement_cancels_its_kind_once_and_a_link_acts_once(store: &Store) {
        store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let mut overdue = item("k-overdue", now());
        overdue.rule = Rule::Overdue;
        let mut other_department = item("k-tpnd", now());
        other_department.department = code("ubnd-tpnd");
        let items = vec![item("k-7d", now()), overdue, other_department];
        store.record_plans(&[plan(items, None)], now()).await.unwrap();
        let deadline = NaiveDate::from_ymd_opt(2021, 11, 30).unwrap();
        let acknowledgement = Acknowledgement {
            task: TaskId(1),
            department: code("snv"),
            rule_kind: crate::domain::RuleKind::DueSoon,
            deadline,
        };
        let link = LinkUse { signature: "abc", department: "snv", action: "received" };
        store.acknowledge(&acknowledgement, Some(&link), "link:snv", now()).await.unwrap();
        let states: Vec<(String, &str)> =
            store.outbox(None, None, 10).await.unwrap().into_iter().map(|i| (i.key, i.state.as_str())).collect();
        // Only snv's due-soon reminder stops; its overdue one and the other department's stay.
        assert_eq!(
            states,
            [
                ("k-7d".to_owned(), "cancelled"),
                ("k-overdue".to_owned(), "pending"),
                ("k-tpnd".to_owned(), "pending")
            ]
        );
        let found = store.acknowledgements(&[TaskId(1), TaskId(2)]).await.unwrap();
        assert_eq!(found.into_iter().collect::<Vec<_>>(), std::slice::from_ref(&acknowledgement));
        assert!(store.link_used("abc").await.unwrap());
        // The same link again: refused, nothing more written.
        let again = store.acknowledge(&acknowledgement, Some(&link), "link:snv", now()).await;
        assert!(matches!(again, Err(LinkUseError::AlreadyUsed)));
        let events = store.task_events(TaskId(1)).await.unwrap();
        assert_eq!(events.iter().filter(|e| e.kind == "acknowledged").count(), 1);
        assert_eq!(events.last().unwrap().actor.as_deref(), Some("link:snv"));

        // A link sent for another deadline does not act.
        let old = Acknowledgement {
            deadline: NaiveDate::from_ymd_opt(2021, 10, 31).unwrap(),
            ..acknowledgement.clone()
        };
        let stale = LinkUse { signature: "old", department: "snv", action: "received" };
        let refused = store.acknowledge(&old, Some(&stale), "link:snv", now()).await;
        assert!(matches!(refused, Err(LinkUseError::DeadlineChanged)));
        assert!(!store.link_used("old").await.unwrap());

        // Done through a link: once; a used link does not act on a done task either.
        let done = LinkUse { signature: "def", department: "snv", action: "done" };
        let on = NaiveDate::from_ymd_opt(2021, 11, 23).unwrap();
        assert!(
            store
                .mark_done_by_link(TaskId(1), deadline, on, Some("BC 45"), &done, "link:snv", now())
                .await
                .unwrap()
        );
        assert!(!store.mark_done_by_link(TaskId(1), deadline, on, None, &done, "link:snv", now()).await.unwrap());
        let last = store.task_events(TaskId(1)).await.unwrap().pop().unwrap();
        assert_eq!(
            (last.kind.as_str(), last.detail.as_deref()),
            ("done", Some("hoàn thành ngày 2021-11-23: BC 45"))
        );
        let acknowledged_done = store.acknowledge(&acknowledgement, None, "api", now()).await;
        assert!(matches!(acknowledged_done, Err(LinkUseError::Store(StoreError::TaskDone(1)))));
    }

    async fn an_edit_moves_what_waits_to_the_new_part_and_cancels_it_for_a_department_gone(store: &Store) {
        store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let mut coordinating = item("k-tpnd", now());
        coordinating.department = code("ubnd-tpnd");
        coordinating.role = Role::Coordinating;
        let mut gone = item("k-stc", now());
        gone.department = code("stc");
        gone.role = Role::Coordinating;
        store.record_plans(&[plan(vec![item("k-snv", now()), coordinating, gone], None)], now()).await.unwrap();
        let before = store.task(TaskId(1)).await.unwrap();

        // ubnd-tpnd leads now, snv coordinates, stc is off the task.
        let text = TaskText {
            section: Some("3".into()),
            summary: "Đề án".into(),
            details: None,
            lead: code("ubnd-tpnd"),
            coordinating: vec![code("snv")],
        };
        let keep = [(code("ubnd-tpnd"), Role::Lead), (code("snv"), Role::Coordinating)];
        let deadline = NaiveDate::from_ymd_opt(2021, 11, 30);
        store
            .update_task(TaskId(1), &text, deadline, &keep, &keep, Some(now()), "api:test", now())
            .await
            .unwrap();
        let items: Vec<(String, String, &str)> = store
            .outbox(None, None, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|i| (i.key, i.role.as_str().to_owned(), i.state.as_str()))
            .collect();
        assert_eq!(
            items,
            [
                ("k-snv".to_owned(), "coordinating".to_owned(), "pending"),
                ("k-tpnd".to_owned(), "lead".to_owned(), "pending"),
                ("k-stc".to_owned(), "coordinating".to_owned(), "cancelled"),
            ]
        );
        // A revision later, a plan made before the edit does not overwrite its marks.
        let after = store.task(TaskId(1)).await.unwrap();
        assert_eq!(after.revision, before.revision + 1);
        let mut stale = plan(vec![], Some(now() + Duration::days(30)));
        stale.revision = before.revision;
        store.record_plans(&[stale], now()).await.unwrap();
        let kept = store.task(TaskId(1)).await.unwrap();
        assert_eq!((kept.planned_until, kept.next_reminder_at), (None, Some(now())));
        // An edit planned for another deadline is refused as a change made meanwhile.
        let other = NaiveDate::from_ymd_opt(2021, 12, 31);
        let refused = store.update_task(TaskId(1), &text, other, &keep, &keep, None, "api:test", now()).await;
        assert!(matches!(refused, Err(StoreError::Changed(1))));
    }

    async fn a_lease_is_held_by_one_daemon_until_it_runs_out_or_is_released(store: &Store) {
        let (a, b) = (store, &store.as_another_daemon());
        let at = |seconds: i64| now() + Duration::seconds(seconds);
        assert_eq!(a.take_lease("source:vb", at(60), now()).await.unwrap(), Lease::Taken);
        assert_eq!(b.take_lease("source:vb", at(60), now()).await.unwrap(), Lease::HeldUntil(at(60)));
        // Its holder renews it; another daemon has it once it ran out.
        assert_eq!(a.take_lease("source:vb", at(90), at(30)).await.unwrap(), Lease::Taken);
        assert_eq!(b.take_lease("source:vb", at(150), at(89)).await.unwrap(), Lease::HeldUntil(at(90)));
        assert_eq!(b.take_lease("source:vb", at(150), at(90)).await.unwrap(), Lease::Taken);
        assert_eq!(a.take_lease("source:vb", at(200), at(100)).await.unwrap(), Lease::HeldUntil(at(150)));
        // Another lease is another name.
        assert_eq!(a.take_lease("source:feed", at(200), at(100)).await.unwrap(), Lease::Taken);
        // Released at a clean stop: the others take it at once.
        assert_eq!(b.release_leases().await.unwrap(), 1);
        assert_eq!(a.take_lease("source:vb", at(200), at(100)).await.unwrap(), Lease::Taken);
    }

    async fn a_job_runs_once_for_each_instant_and_is_taken_over_when_its_runner_dies(store: &Store) {
        let (a, b) = (store, &store.as_another_daemon());
        let at = |minutes: i64| now() + Duration::minutes(minutes);
        let (monday, tuesday) = (at(0), at(24 * 60));
        assert_eq!(a.job_done_through("job:summary").await.unwrap(), None);
        assert_eq!(a.claim_job("job:summary", monday, at(10), at(0)).await.unwrap(), JobClaim::Run);
        assert_eq!(b.claim_job("job:summary", monday, at(10), at(0)).await.unwrap(), JobClaim::HeldUntil(at(10)));
        assert_eq!(b.job_done_through("job:summary").await.unwrap(), None);
        a.finish_job("job:summary", monday, at(1)).await.unwrap();
        assert_eq!(b.job_done_through("job:summary").await.unwrap(), Some(monday));
        assert_eq!(b.claim_job("job:summary", monday, at(12), at(2)).await.unwrap(), JobClaim::Done);
        // A daemon that comes late to an instant already run does not run it again.
        assert_eq!(a.claim_job("job:summary", monday, at(20), at(10)).await.unwrap(), JobClaim::Done);
        // The next instant: b claims it and dies; a takes it over once b's lease ran out.
        let day = 24 * 60;
        assert_eq!(b.claim_job("job:summary", tuesday, at(day + 10), at(day)).await.unwrap(), JobClaim::Run);
        assert_eq!(
            a.claim_job("job:summary", tuesday, at(day + 10), at(day + 1)).await.unwrap(),
            JobClaim::HeldUntil(at(day + 10))
        );
        assert_eq!(a.claim_job("job:summary", tuesday, at(day + 20), at(day + 10)).await.unwrap(), JobClaim::Run);
        a.finish_job("job:summary", tuesday, at(day + 11)).await.unwrap();
        // b's late word changes nothing.
        b.finish_job("job:summary", monday, at(day + 12)).await.unwrap();
        assert_eq!(b.claim_job("job:summary", tuesday, at(day + 30), at(day + 12)).await.unwrap(), JobClaim::Done);
        // Each job is its own.
        assert_eq!(b.claim_job("job:replan", tuesday, at(day + 30), at(day + 12)).await.unwrap(), JobClaim::Run);
    }

    async fn finished_reminders_older_than_kept_are_pruned_with_their_attempts(store: &Store) {
        store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
        let items = vec![item("sent", now()), item("waiting", now() + Duration::days(1))];
        let mut write = plan(items, None);
        write.supersede.clear();
        store.record_plans(&[write], now()).await.unwrap();
        let claimed = store.claim(now(), LEASE, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let outcomes: Vec<_> = claimed.into_iter().map(|i| (i, Outcome::Sent { duration_ms: 5 })).collect();
        store.finish(&outcomes, now()).await.unwrap();
        // Finished at now(): kept until then, gone after; what still waits is never pruned.
        assert_eq!(store.prune_finished(now(), 100).await.unwrap(), 0);
        assert_eq!(store.prune_finished(now() + Duration::seconds(1), 100).await.unwrap(), 1);
        let left: Vec<String> = store.outbox(None, None, 10).await.unwrap().into_iter().map(|i| i.key).collect();
        assert_eq!(left, ["waiting"]);
        assert_eq!(store.prune_finished(now() + Duration::days(999), 100).await.unwrap(), 0);
    }

    async fn a_keyed_create_is_remembered_for_its_retries_then_forgotten(store: &Store) {
        let keyed = KeyedRequest {
            client: "e-office".into(),
            key: "k-1".into(),
            request: "POST /api/v1/directives".into(),
            body_sha256: "ab".into(),
        };
        let (id, _) =
            store.add_directive_keyed(&directive(None), Some(&keyed), "api:e-office", now()).await.unwrap();
        let answer = store.keyed_answer("e-office", "k-1").await.unwrap().unwrap();
        assert_eq!(answer.location, format!("/api/v1/directives/{}", id.0));
        // Another client's key of the same text is another key.
        assert_eq!(store.keyed_answer("dashboard", "k-1").await.unwrap(), None);
        // The same key again fails the whole transaction: no second directive.
        let twin = store.add_directive_keyed(&directive(None), Some(&keyed), "api:e-office", now()).await;
        assert!(matches!(twin, Err(StoreError::KeyInUse(_))));
        assert_eq!(store.directives().await.unwrap().len(), 1);
        assert_eq!(store.forget_keys_before(now()).await.unwrap(), 0);
        assert_eq!(store.forget_keys_before(now() + KEYS_KEPT_FOR).await.unwrap(), 1);
        assert_eq!(store.keyed_answer("e-office", "k-1").await.unwrap(), None);
    }
}

#[tokio::test]
async fn sqlite_reads_due_tasks_and_digests_through_indexes() {
    let test = TestStore::sqlite().await;
    let Engine::Sqlite(db) = &test.store.engine else { unreachable!("a SQLite store") };
    let explain = |sql: String| async move {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
                .bind(0i64)
                .bind(10i64)
                .fetch_all(&db.pool)
                .await
                .unwrap();
        plan.into_iter().map(|row| row.3).collect::<Vec<_>>()
    };
    let tasks = explain(super::sqlite::tasks::due_tasks_sql()).await;
    assert!(tasks.iter().any(|d| d.starts_with("SEARCH t USING INDEX tasks_due")), "{tasks:?}");
    assert!(!tasks.iter().any(|d| d.starts_with("SCAN t")), "{tasks:?}");
    let digests = explain(super::sqlite::DIGESTS_DUE_SQL.to_owned()).await;
    assert!(!digests.iter().any(|d| d.starts_with("SCAN outbox")), "{digests:?}");
}

/// PostgreSQL chooses its plans by the table's statistics: 20,000 tasks and outbox items
/// of which 100 are due, analysed, and every query of the planning and sending ticks read
/// through an index.
#[tokio::test]
async fn postgres_reads_only_due_rows_through_indexes() {
    let test = TestStore::postgres().await;
    let Engine::Postgres(db) = &test.store.engine else { unreachable!("a PostgreSQL store") };
    for statement in [
        "INSERT INTO directives (title, issuer, issued_on, created_at) VALUES ('t', 'i', '2021-01-01', 0)",
        "INSERT INTO tasks (directive_id, summary, lead, created_at, next_reminder_at) \
         SELECT 1, 'x', 'snv', 0, CASE WHEN g <= 100 THEN 1000 ELSE 2000000000 + g END \
         FROM generate_series(1, 20000) g",
        "INSERT INTO outbox (key, task_id, department, role, rule, day, deadline, channel, state, due_at, \
         send_after, created_at) \
         SELECT 'k' || g, 1, 'snv', 'lead', 'due', '2021-01-01', '2021-01-01', 'email', \
         CASE WHEN g <= 100 THEN 'pending' ELSE 'sent' END, 0, 1000, 0 FROM generate_series(1, 20000) g",
        "ANALYZE",
    ] {
        sqlx::query(statement).execute(&db.pool).await.unwrap();
    }
    let explain = |sql: String, binds: Vec<Bind>| async move {
        let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")));
        for bind in binds {
            query = match bind {
                Bind::Int(value) => query.bind(value),
                Bind::Text(value) => query.bind(value),
            };
        }
        query.fetch_all(&db.pool).await.unwrap().join("\n")
    };
    use Bind::{Int, Text};
    let plans = [
        ("due tasks", explain(super::postgres::tasks::due_tasks_sql(), vec![Int(5000), Int(500)]).await),
        (
            "claim",
            explain(super::postgres::claim_sql(), vec![Text("me".into()), Int(300), Int(5000), Int(500)])
                .await,
        ),
        ("digests due", explain(super::postgres::digests_due_sql(), vec![Int(5000)]).await),
    ];
    for (query, plan) in &plans {
        println!("{query}:\n{plan}\n");
        assert!(!plan.contains("Seq Scan"), "{query} reads a whole table:\n{plan}");
    }
    assert!(plans[0].1.contains("tasks_due"), "{}", plans[0].1);
    assert!(plans[1].1.contains("outbox_pending") && plans[1].1.contains("outbox_sending"), "{}", plans[1].1);
}

enum Bind {
    Int(i64),
    Text(String),
}

/// A task made through one handle on a PostgreSQL store wakes the daemon listening through
/// another at once: the handles stand for two daemons, or a daemon and a command.
#[tokio::test]
async fn postgres_wakes_every_listener_when_a_task_is_made_elsewhere() {
    let test = TestStore::postgres().await;
    let Engine::Postgres(db) = &test.store.engine else { unreachable!("a PostgreSQL store") };
    let elsewhere = Store::open_existing(&db.url).await.unwrap();
    let wake = Arc::new(tokio::sync::Notify::new());
    let listener = test.store.listen_for_changes(wake.clone()).unwrap();
    // Listening begins with a wake-up of its own: what changed while nobody listened.
    tokio::time::timeout(std::time::Duration::from_secs(5), wake.notified()).await.unwrap();
    let started = std::time::Instant::now();
    elsewhere.add_directive(&directive(Some(now())), "cli", now()).await.unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(1), wake.notified())
        .await
        .expect("woken within a second of the change");
    println!("woken {:?} after the change", started.elapsed());
    listener.abort();
    elsewhere.close().await;
}

/// Two daemons planning a PostgreSQL store at once take different tasks: while one holds
/// a batch, the other skips it rather than waiting for it or planning it too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_daemons_planning_at_once_take_different_tasks() {
    let test = TestStore::postgres().await;
    let (a, b) = (test.store.clone(), test.store.as_another_daemon());
    for _ in 0..10 {
        a.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
    }
    let (holding, held) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let first = tokio::spawn(async move {
        a.plan_due(now(), 6, move |due, _| {
            holding.send(due.len()).unwrap();
            // Holds its batch until the other daemon has planned (its worker's other tasks
            // moved elsewhere meanwhile).
            tokio::task::block_in_place(|| released.recv_timeout(std::time::Duration::from_secs(30)))
                .unwrap();
            Vec::new()
        })
        .await
        .unwrap()
    });
    let first_batch = tokio::task::spawn_blocking(move || held.recv().unwrap()).await.unwrap();
    assert_eq!(first_batch, 6);
    let (second, _) = b
        .plan_due(now(), 10, |due, _| {
            assert_eq!(due.len(), 4, "the tasks the other daemon holds are skipped");
            Vec::new()
        })
        .await
        .unwrap();
    release.send(()).unwrap();
    assert_eq!(first.await.unwrap().0, 6);
    assert_eq!(second, 4);
}

/// With the server's autovacuum off, the store's upkeep vacuums the outbox once sends left
/// dead rows in it; with it on, it leaves the work to the server.
#[tokio::test]
async fn postgres_upkeep_vacuums_the_outbox_when_autovacuum_is_off() {
    let test = TestStore::postgres().await;
    let store = &test.store;
    store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
    let items: Vec<NewOutboxItem> = (0..3_000).map(|i| item(&format!("k{i}"), now())).collect();
    let mut write = plan(items, None);
    write.supersede.clear();
    store.record_plans(&[write], now()).await.unwrap();
    // Each send updates its row twice: claimed, then sent.
    loop {
        let claimed = store.claim(now(), LEASE, 1_000).await.unwrap();
        if claimed.is_empty() {
            break;
        }
        let outcomes: Vec<_> = claimed.into_iter().map(|i| (i, Outcome::Sent { duration_ms: 1 })).collect();
        store.finish(&outcomes, now()).await.unwrap();
    }
    let Engine::Postgres(db) = &store.engine else { unreachable!("a PostgreSQL store") };
    let autovacuum: String =
        sqlx::query_scalar("SELECT current_setting('autovacuum')").fetch_one(&db.pool).await.unwrap();
    let dead = || async {
        sqlx::query_scalar::<_, i64>("SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'outbox'")
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    if autovacuum == "on" {
        assert!(store.maintain().await.unwrap().is_empty());
        return;
    }
    // The statistics reach the server some seconds after the writes (at most about ten).
    let mut vacuumed = Vec::new();
    for _ in 0..200 {
        vacuumed = store.maintain().await.unwrap();
        if !vacuumed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(vacuumed, ["outbox"]);
    assert!(dead().await < 1_000, "{} dead rows left", dead().await);
    // Nothing more to do until dead rows pile up again.
    assert!(store.maintain().await.unwrap().is_empty());
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

mod pages {
    use super::*;

    on_each_engine! {
        async fn an_extension_request_is_approved_with_the_extension_and_its_notices(store: &Store) {
            use crate::outbox::{NewNotice, NoticeKind};
            let (_, ids) = store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
            let task = ids[0];
            let notice = |kind: NoticeKind, key: String| NewNotice {
                kind,
                payload: "{}".into(),
                items: vec![NewOutboxItem {
                    key,
                    kind: ItemKind::Notice,
                    task_id: Some(task),
                    department: code("vp-ubnd"),
                    role: Role::Escalation,
                    rule: Rule::Notice,
                    day: now().date_naive(),
                    deadline: now().date_naive(),
                    channel: "email".into(),
                    due_at: now(),
                    send_after: now(),
                    digest: false,
                }],
            };
            let new = NewExtensionRequest {
                task_id: task,
                department: code("snv"),
                deadline: Some(date(2021, 11, 30)),
                requested_to: date(2021, 12, 31),
                reason: "Chờ ý kiến các sở".into(),
            };
            let requested = |id: i64| notice(NoticeKind::ExtensionRequested, format!("requested.{id}"));
            let id = store.request_extension(&new, &requested, "page:a@snv", now()).await.unwrap();
            // A request against a deadline that has since moved is refused.
            let stale = NewExtensionRequest { deadline: Some(date(2021, 11, 1)), ..new.clone() };
            assert!(matches!(store.request_extension(&stale, &requested, "page:a@snv", now()).await, Err(StoreError::Changed(_))));
            assert_eq!(store.pending_extensions(10).await.unwrap().len(), 1);
            let items = store.outbox(None, Some(task), 10).await.unwrap();
            let notice_id = items.iter().find(|i| i.kind == ItemKind::Notice).and_then(|i| i.notice_id).unwrap();
            let notices = store.notices_by_ids(&[notice_id]).await.unwrap();
            assert_eq!(notices[&notice_id].0, NoticeKind::ExtensionRequested);

            let deadline = Deadline::parse("2021-12-31", None).unwrap();
            let decided = |request: &ExtensionRequest| notice(NoticeKind::ExtensionDecided, format!("decided.{}", request.id));
            let approve = ExtensionDecision::Approve { deadline, next_reminder_at: Some(now()) };
            let request = store.decide_extension(id, &approve, None, &decided, "page:vp@ubnd", now()).await.unwrap();
            assert_eq!(request.state, ExtensionState::Approved);
            assert_eq!(request.decided_by.as_deref(), Some("page:vp@ubnd"));
            let record = store.task(task).await.unwrap();
            assert_eq!(record.task.deadline.unwrap().date, date(2021, 12, 31));
            let kinds: Vec<String> = store.task_events(task).await.unwrap().into_iter().map(|e| e.kind).collect();
            assert_eq!(kinds, ["created", "extension_requested", "extended", "extension_approved"]);
            // Decided once: a second decision is refused and changes nothing.
            let again = store.decide_extension(id, &ExtensionDecision::Refuse, Some("không"), &decided, "x", now()).await;
            assert!(matches!(again, Err(StoreError::ExtensionDecided { state: "approved", .. })));
            assert!(store.pending_extensions(10).await.unwrap().is_empty());
            assert_eq!(store.outbox(None, Some(task), 10).await.unwrap().iter().filter(|i| i.kind == ItemKind::Notice).count(), 2);
        }

        async fn a_request_outlived_by_the_task_is_withdrawn_not_decided(store: &Store) {
            use crate::outbox::{NewNotice, NoticeKind};
            let (_, ids) = store.add_directive(&directive(Some(now())), "test", now()).await.unwrap();
            let empty = |_: i64| NewNotice { kind: NoticeKind::ExtensionRequested, payload: "{}".into(), items: vec![] };
            let new = NewExtensionRequest {
                task_id: ids[0],
                department: code("snv"),
                deadline: Some(date(2021, 11, 30)),
                requested_to: date(2021, 12, 31),
                reason: "lý do".into(),
            };
            let id = store.request_extension(&new, &empty, "page:a", now()).await.unwrap();
            store.mark_done(ids[0], date(2021, 11, 20), None, "test", now()).await.unwrap();
            let decided = |_: &ExtensionRequest| NewNotice { kind: NoticeKind::ExtensionDecided, payload: "{}".into(), items: vec![] };
            let result = store.decide_extension(id, &ExtensionDecision::Refuse, Some("x"), &decided, "page:b", now()).await;
            assert!(matches!(result, Err(StoreError::ExtensionDecided { state: "withdrawn", .. })));
            assert_eq!(store.extension_request(id).await.unwrap().state, ExtensionState::Withdrawn);
        }

        async fn a_sign_in_link_signs_in_once(store: &Store) {
            assert!(!store.sign_in_used("abc").await.unwrap());
            assert!(store.use_sign_in("abc", "a@b.vn", now()).await.unwrap());
            assert!(!store.use_sign_in("abc", "a@b.vn", now()).await.unwrap());
            assert!(store.sign_in_used("abc").await.unwrap());
            assert_eq!(store.forget_sign_ins_before(now() + Duration::days(2)).await.unwrap(), 1);
        }
    }
}

/// The board's queries read the tasks through their indexes: by lead, by directive, by the
/// directives' period; the count of every task reads the covering index alone.
#[tokio::test]
async fn the_board_reads_tasks_through_indexes_on_each_engine() {
    const COUNTS: [&str; 4] = ["by status", "overdue", "due soon", "done after"];
    let dates = BoardDates { overdue_before: date(2026, 11, 20), soon_until: date(2026, 11, 27) };
    let filters = [
        ("lead", BoardFilter { lead: Some(code("snv")), ..BoardFilter::default() }),
        (
            "directive",
            BoardFilter { directive: Some(crate::domain::DirectiveId(7)), ..BoardFilter::default() },
        ),
        (
            "period",
            BoardFilter {
                issued_from: Some(date(2026, 1, 1)),
                issued_to: Some(date(2026, 1, 31)),
                ..BoardFilter::default()
            },
        ),
    ];
    for engine in ["sqlite", "postgres"] {
        let test = if engine == "sqlite" { TestStore::sqlite().await } else { TestStore::postgres().await };
        let fill = [
            "INSERT INTO directives (title, issuer, issued_on, created_at) \
             SELECT 'd' || g, 'i', ISSUED, 0 FROM generate_series(1, 4000) g",
            "INSERT INTO tasks (directive_id, summary, lead, deadline, status, created_at) \
             SELECT 1 + g % 4000, 'x', 'dv' || (g % 40), '2026-11-01', CASE WHEN g % 3 = 0 THEN 'done' ELSE 'open' END, 0 \
             FROM generate_series(1, 100000) g",
        ];
        let plans = match &test.store.engine {
            Engine::Sqlite(db) => {
                for statement in fill {
                    let statement = statement.replace("ISSUED", "date('2016-01-01', '+' || g || ' days')");
                    // SQLite has no generate_series without its extension: a recursive count.
                    let statement = statement.replace(
                        "FROM generate_series(1, 4000) g",
                        "FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 4000) SELECT g FROM s)",
                    );
                    let statement = statement.replace(
                        "FROM generate_series(1, 100000) g",
                        "FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 100000) SELECT g FROM s)",
                    );
                    sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&db.pool).await.unwrap();
                }
                sqlx::query("ANALYZE").execute(&db.pool).await.unwrap();
                let mut plans = Vec::new();
                for (name, filter) in &filters {
                    let counts =
                        super::sqlite::board::board_count_queries("EXPLAIN QUERY PLAN ", filter, dates);
                    let list = super::sqlite::board::board_list_query(
                        "EXPLAIN QUERY PLAN ",
                        filter,
                        BoardList::OpenOverdue,
                        dates,
                        TaskId(0),
                        100,
                    );
                    for (what, mut query) in COUNTS.into_iter().zip(counts).chain([("list", list)]) {
                        let rows: Vec<(i64, i64, i64, String)> =
                            query.build_query_as().fetch_all(&db.pool).await.unwrap();
                        let plan = rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n");
                        plans.push((format!("{name} {what}"), plan));
                    }
                }
                let every = BoardFilter::default();
                for mut all in super::sqlite::board::board_count_queries("EXPLAIN QUERY PLAN ", &every, dates)
                {
                    let rows: Vec<(i64, i64, i64, String)> =
                        all.build_query_as().fetch_all(&db.pool).await.unwrap();
                    let plan = rows.into_iter().map(|r| r.3).collect::<Vec<_>>().join("\n");
                    assert!(plan.contains("COVERING INDEX tasks_board"), "every task's counts:\n{plan}");
                }
                plans
            }
            Engine::Postgres(db) => {
                for statement in fill {
                    let statement = statement.replace("ISSUED", "DATE '2016-01-01' + g");
                    sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&db.pool).await.unwrap();
                }
                sqlx::query("VACUUM ANALYZE").execute(&db.pool).await.unwrap();
                let mut plans = Vec::new();
                for (name, filter) in &filters {
                    let counts = super::postgres::board::board_count_queries("EXPLAIN ", filter, dates);
                    let list = super::postgres::board::board_list_query(
                        "EXPLAIN ",
                        filter,
                        BoardList::OpenOverdue,
                        dates,
                        TaskId(0),
                        100,
                    );
                    for (what, mut query) in COUNTS.into_iter().zip(counts).chain([("list", list)]) {
                        let rows: Vec<String> = query.build_query_scalar().fetch_all(&db.pool).await.unwrap();
                        plans.push((format!("{name} {what}"), rows.join("\n")));
                    }
                }
                plans
            }
        };
        for (query, plan) in &plans {
            println!("{engine} {query}:\n{plan}\n");
            assert!(!plan.contains("Seq Scan on tasks"), "{engine} {query} reads every task:\n{plan}");
            assert!(
                !plan.contains("SCAN t\n") && !plan.ends_with("SCAN t"),
                "{engine} {query} reads every task:\n{plan}"
            );
        }
    }
}
