//! The vocabulary of the problem: departments, deadlines, offsets, directives and tasks.
//!
//! Types here hold only valid values: they are parsed once at the edge (config, CLI,
//! directive files) and trusted everywhere after. This module does no I/O and knows
//! nothing of the store, the schedule or the channels.

mod deadline;
mod department;
mod offset;
mod recurrence;
mod rule;
mod task;

pub(crate) use deadline::last_day_of_month;
pub use deadline::{Deadline, DeadlineError, DeadlineSpec, Precision};
pub use department::{DepartmentCode, DepartmentCodeError};
pub use offset::{Offset, OffsetError, Unit};
pub use recurrence::{Period, Recurrence, RecurrenceError};
pub use rule::{Rule, RuleError, RuleKind};
pub use task::{
    Acknowledgement, Directive, DirectiveId, NewDirective, NewTask, Role, Task, TaskId, TaskStatus, TaskText,
};
