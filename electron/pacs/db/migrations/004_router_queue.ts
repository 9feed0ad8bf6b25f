/**
 * The router's persistent queue. Jobs are inserted in the same transaction as the instance rows
 * they route, so an acknowledged instance can never miss its routing, and they survive kill -9.
 */
export const sql = `
CREATE TABLE route_jobs (
  id INTEGER PRIMARY KEY,
  sop_instance_uid TEXT NOT NULL,
  study_instance_uid TEXT NOT NULL,
  storage_key TEXT NOT NULL,
  sop_class_uid TEXT NOT NULL,
  -- The transfer syntax of the archived object.
  stored_syntax TEXT NOT NULL,
  rule TEXT NOT NULL,
  destination TEXT NOT NULL,
  -- The group member that took it, for destination groups.
  member TEXT,
  -- The transfer syntax to send in; NULL keeps the stored one.
  transfer_syntax TEXT,
  -- JSON of the rule's coercions, fixed when the job was made.
  coerce TEXT,
  state TEXT NOT NULL CHECK (state IN ('queued', 'sending', 'delivered', 'dead', 'cancelled')),
  attempts INTEGER NOT NULL DEFAULT 0,
  -- Epoch milliseconds before which the job is not sent (retry back-off, stable-study wait).
  not_before INTEGER NOT NULL,
  last_error TEXT,
  sent_as TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER
) STRICT;

CREATE INDEX route_jobs_due ON route_jobs (destination, state, not_before, id);
CREATE INDEX route_jobs_instance ON route_jobs (sop_instance_uid);
CREATE INDEX route_jobs_study ON route_jobs (study_instance_uid, rule, state);
CREATE INDEX route_jobs_delivered ON route_jobs (destination, delivered_at) WHERE state = 'delivered';

CREATE TABLE route_destination_state (
  destination TEXT PRIMARY KEY,
  paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
  last_error TEXT,
  last_error_at INTEGER
) STRICT;
`;
