-- The coordinating departments of a task, comma-separated in order, beside the
-- task_coordinators table: a due task is read with one row, no subquery. Coordinators are
-- set when a task is added and never change.
ALTER TABLE tasks ADD COLUMN coordinating TEXT NOT NULL DEFAULT '';

UPDATE tasks SET coordinating = coalesce(
    (SELECT group_concat(department, ',') FROM
        (SELECT department FROM task_coordinators c WHERE c.task_id = tasks.id ORDER BY position)),
    '');
