/**
 * Measurements and annotations drawn in the viewer, one row per object on one frame of one instance (the
 * app API's `/api/…/measurements`). Keyed by UIDs rather than the instances row, like reading_status, so a
 * re-sent or re-indexed instance keeps its measurements. The geometry is JSON (image coordinates); derived
 * values (mm, HU) are computed from the image when shown. Every change is also an audit_log row with the
 * value before and after.
 */
export const sql = `
CREATE TABLE measurements (
  id TEXT PRIMARY KEY,
  study_instance_uid TEXT NOT NULL,
  series_instance_uid TEXT NOT NULL,
  sop_instance_uid TEXT NOT NULL,
  frame_number INTEGER NOT NULL CHECK (frame_number >= 1),
  kind TEXT NOT NULL CHECK (kind IN ('length', 'angle', 'cobb', 'ellipse', 'rectangle', 'arrow', 'text', 'probe')),
  -- JSON array of {x, y} image points.
  points TEXT NOT NULL,
  text TEXT,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX measurements_study ON measurements (study_instance_uid, created_at);
CREATE INDEX measurements_instance ON measurements (sop_instance_uid);
`;
