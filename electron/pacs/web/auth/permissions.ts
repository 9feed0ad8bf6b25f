/**
 * Roles and what each may do. This table is the documented permission model (docs/security.md);
 * every route names the one permission it needs.
 */
export const ROLES = ["admin", "radiologist", "technologist", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  /** Search and read studies: QIDO-RS, WADO-RS/URI, thumbnails, the study list. */
  "studies:read",
  /** Add objects: STOW-RS, import. */
  "studies:write",
  /** Set a study's reading status and priority. */
  "studies:report",
  /** Read the audit log. */
  "audit:read",
  /** Read the configuration and the peers. */
  "config:read",
  /** Change the configuration and the peers. */
  "config:write",
  /** Create, change and remove user accounts. */
  "users:manage",
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  radiologist: ["studies:read", "studies:report", "config:read"],
  technologist: ["studies:read", "studies:write", "config:read"],
  viewer: ["studies:read"],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
