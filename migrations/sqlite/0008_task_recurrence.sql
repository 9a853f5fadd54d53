-- A recurring task: how it comes due again, as JSON ({"every": "month", "day": 20}). Its
-- deadline is its current occurrence's; marking it done moves it to the next.
ALTER TABLE tasks ADD COLUMN recurrence TEXT;
