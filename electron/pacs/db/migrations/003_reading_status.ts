/**
 * The reading worklist: each study's reading status and priority, and who changed it last. Keyed by
 * Study Instance UID rather than the studies row, so that a status is never lost when the index
 * rebuilds a study's row (all instances replaced or re-sent); a study without a row here is unread
 * and routine. Every change is also an audit_log row with the value before and after.
 */
export const sql = `
CREATE TABLE reading_status (
  study_instance_uid TEXT PRIMARY KEY,
  status TEXT NOT NULL CHECK (status IN ('unread', 'in-progress', 'read')),
  priority TEXT NOT NULL CHECK (priority IN ('routine', 'urgent', 'stat')),
  changed_at TEXT NOT NULL,
  changed_by TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX reading_status_status ON reading_status (status, priority);
`;
