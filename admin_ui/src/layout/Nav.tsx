import { NavLink } from "react-router-dom";
import { usePermissions } from "../permissions/Permissions";
import {
  ACCOUNT_ENTRIES,
  ADMIN_ENTRIES,
  environmentEntries,
  GENERAL_ENTRIES,
  type NavEntry,
} from "./navigation";
import { ScopeSelector } from "./ScopeSelector";
import { scopePath, type Scope } from "./scope";

function Section({ title, entries, can }: { title?: string; entries: NavEntry[]; can: (e: NavEntry) => boolean }) {
  const visible = entries.filter(can);
  if (visible.length === 0) return null;
  return (
    <div className="nav-section">
      {title ? <div className="nav-section-title">{title}</div> : null}
      <ul>
        {visible.map((entry) => (
          <li key={entry.path}>
            <NavLink to={entry.path} className="nav-link">
              {entry.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** The side navigation: general pages, the scope and its pages, administration, account. */
export function Nav({
  scope,
  selected,
  area,
  id,
  open,
}: {
  /** The environment whose pages to offer (the URL's, else the last one chosen). */
  scope: Scope | null;
  /** What the URL selects right now. */
  selected: Partial<Scope>;
  area?: string;
  id: string;
  open: boolean;
}) {
  const scoped = scope
    ? environmentEntries(scope).map((entry) => ({ ...entry, path: scopePath(scope, entry.path) }))
    : [];
  const checks = [...scoped, ...ADMIN_ENTRIES].flatMap((entry) => (entry.needs ? [entry.needs] : []));
  const { can } = usePermissions(checks);
  const allowed = (entry: NavEntry) => !entry.needs || can(entry.needs.action, entry.needs.resource);
  return (
    <nav id={id} className={`app-nav${open ? " open" : ""}`} aria-label="Main">
      <Section entries={GENERAL_ENTRIES} can={allowed} />
      <div className="nav-section">
        <div className="nav-section-title">Environment</div>
        <ScopeSelector current={scope ?? selected} area={area} />
        {scope ? (
          <Section entries={scoped} can={allowed} />
        ) : (
          <p className="nav-hint">Choose a workspace and an environment to manage its connections, resources and keys.</p>
        )}
      </div>
      <Section title="Administration" entries={ADMIN_ENTRIES} can={allowed} />
      <Section title="You" entries={ACCOUNT_ENTRIES} can={allowed} />
    </nav>
  );
}
