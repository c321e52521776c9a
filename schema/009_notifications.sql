-- 009_notifications.sql: the notification state machine (engine/notify/).
-- notify_state holds each watched condition as last seen; an event is
-- recorded when one gets worse; a delivery row per event and target says
-- what was sent, what failed and how often it was tried.
CREATE TABLE notify_state (
    subject    TEXT PRIMARY KEY,            -- 'seats', 'license.expiry', 'snapshot', 'addon.seats:NAME', ...
    state      TEXT NOT NULL,               -- the condition as last seen, '' when nothing to tell
    level      INTEGER NOT NULL,            -- how bad it is: 0 nothing to tell
    changed_at INTEGER NOT NULL             -- ms since the epoch
);
CREATE TABLE notify_events (
    id        INTEGER PRIMARY KEY,
    event     TEXT NOT NULL,                -- 'seats.threshold', ... (docs/operations.md)
    subject   TEXT NOT NULL,
    state     TEXT NOT NULL,
    level     INTEGER NOT NULL,
    fired_at  INTEGER NOT NULL,
    document  TEXT NOT NULL,                -- the event as JSON, as handed to --exec
    mail_subject TEXT NOT NULL,
    mail_text TEXT NOT NULL
);
-- A target ('exec:CMD', 'mail:ADDR') is owed every event fired after the
-- run that first named it began, and (a delivery row made when it was
-- named) the events of the conditions still in force then.
CREATE TABLE notify_targets (
    target        TEXT PRIMARY KEY,
    after_event   INTEGER NOT NULL,         -- events with a larger id are owed
    first_used_at INTEGER NOT NULL
);
CREATE TABLE notify_deliveries (
    event_id      INTEGER NOT NULL REFERENCES notify_events(id),
    target        TEXT NOT NULL REFERENCES notify_targets(target),
    attempts      INTEGER NOT NULL DEFAULT 0,
    delivered_at  INTEGER,                  -- NULL until delivered
    held_until    INTEGER NOT NULL DEFAULT 0, -- a run delivering it holds it until then
    last_attempt_at INTEGER,
    last_error    TEXT,
    PRIMARY KEY (event_id, target)
);
