// Paths of the users' and roles' pages, and role names shown as links to them.

import { Link } from "react-router-dom";
import { seg } from "../../api/client";

/** The UI path of a user's page (by username). */
export const userPath = (username: string): string => `/users/${seg(username)}`;

/** The UI path of a role's page (by name). */
export const rolePath = (name: string, rest = ""): string => `/roles/${seg(name)}${rest}`;

/** Role names as links to the roles. */
export function RoleLinks({ roles }: { roles: string[] }) {
  if (!roles.length) return <span className="muted">none</span>;
  return (
    <span className="role-tags">
      {roles.map((role) => (
        <Link key={role} to={rolePath(role)} className="role-tag">
          {role}
        </Link>
      ))}
    </span>
  );
}
