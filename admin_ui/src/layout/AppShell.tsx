import { useEffect, useState } from "react";
import { Link, Outlet, useLocation } from "react-router-dom";
import { useSession } from "../auth/AuthContext";
import { Nav } from "./Nav";
import { rememberScope, useRememberedScope, useUrlScope, type Scope } from "./scope";

const NAV_ID = "app-nav";

/** The page frame: header (user, sign-out, the menu button on narrow screens), navigation,
 * and the routed page. */
export function AppShell() {
  const { user, signOut } = useSession();
  const selected = useUrlScope();
  const { pathname } = useLocation();
  const [navOpen, setNavOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const remembered = useRememberedScope();

  const urlScope: Scope | null =
    selected.workspace && selected.environment
      ? { workspace: selected.workspace, environment: selected.environment }
      : null;
  useEffect(() => {
    if (urlScope) rememberScope(urlScope);
  }, [urlScope?.workspace, urlScope?.environment]);
  // Outside an environment, offer the last one chosen (unless another workspace is open).
  const scope =
    urlScope ?? (remembered && (!selected.workspace || selected.workspace === remembered.workspace) ? remembered : null);

  // A narrow screen's menu closes once the user went somewhere.
  useEffect(() => setNavOpen(false), [pathname]);

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <button
          type="button"
          className="btn btn-ghost nav-toggle"
          aria-controls={NAV_ID}
          aria-expanded={navOpen}
          aria-label={navOpen ? "Close menu" : "Open menu"}
          onClick={() => setNavOpen((open) => !open)}
        >
          <span className="hamburger" aria-hidden="true" />
        </button>
        <Link to="/" className="brand">
          <img src={`${import.meta.env.BASE_URL}favicon.svg`} alt="" width={24} height={24} />
          <span>Switchboard</span>
        </Link>
        <div className="header-user">
          <Link to="/account" className="header-user-name" title={user.email}>
            {user.displayName || user.username}
          </Link>
          <button
            type="button"
            className="btn btn-secondary btn-small"
            disabled={signingOut}
            onClick={() => {
              setSigningOut(true);
              void signOut().finally(() => setSigningOut(false));
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <div className="app-body">
        <Nav id={NAV_ID} open={navOpen} scope={scope} selected={selected} area={selected.area} />
        {navOpen ? <div className="nav-backdrop" aria-hidden="true" onClick={() => setNavOpen(false)} /> : null}
        <main id="main" className="app-main" tabIndex={-1}>
          <Outlet />
        </main>
      </div>
    </div>
  );
}
