import { useId } from "react";
import type { Role } from "../../api/types";

/** Roles as checkboxes in a fieldset (its legend names the group; the API's error about
 * `roles` shows under it). */
export function RoleChoices({
  roles,
  chosen,
  onChange,
  error,
}: {
  roles: Role[];
  chosen: string[];
  onChange: (chosen: string[]) => void;
  error: string | null;
}) {
  const errorId = useId();
  const toggle = (name: string, on: boolean) =>
    onChange(on ? [...chosen, name] : chosen.filter((role) => role !== name));
  return (
    <fieldset className={`role-choices${error ? " field-invalid" : ""}`} aria-describedby={error ? errorId : undefined}>
      <legend className="field-label">Roles</legend>
      {roles.length === 0 ? <p className="muted">No roles you may see.</p> : null}
      <div className="choice-list">
        {roles.map((role) => (
          <div key={role.id} className="choice">
            <label className="checkbox-label">
              <input
                type="checkbox"
                checked={chosen.includes(role.name)}
                aria-describedby={role.description ? `${errorId}-${role.id}` : undefined}
                onChange={(event) => toggle(role.name, event.target.checked)}
              />
              {role.name}
            </label>
            {role.description ? (
              <span id={`${errorId}-${role.id}`} className="muted choice-note">
                {role.description}
              </span>
            ) : null}
          </div>
        ))}
      </div>
      {error ? (
        <div id={errorId} className="field-error" role="alert">
          {error}
        </div>
      ) : null}
    </fieldset>
  );
}
