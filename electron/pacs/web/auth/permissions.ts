/**
 * Roles and what each may do. This table is the documented permission model (docs/security.md);
 * every route names the one permission it needs.
 */
import { PERMISSIONS, type Permission, type Role } from "../../../../shared/api/domain.js";

// The roles and permissions themselves are shared with the renderer.
export { PERMISSIONS, type Permission, ROLES, type Role } from "../../../../shared/api/domain.js";

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  admin: PERMISSIONS,
  radiologist: ["studies:read", "studies:report", "worklist:read", "config:read"],
  technologist: ["studies:read", "studies:write", "worklist:read", "worklist:write", "config:read"],
  viewer: ["studies:read"],
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}
