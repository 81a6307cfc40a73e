import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useSession } from '../lib/auth.js';

export const PAGES = [
  { path: '/', label: 'Overview' },
  { path: '/policies', label: 'Policies' },
  { path: '/budgets', label: 'Budgets' },
  { path: '/decisions', label: 'Decisions' },
  { path: '/routes', label: 'Routes' },
  { path: '/flags', label: 'Flags' },
  { path: '/alerts', label: 'Alerts' },
  { path: '/reviews', label: 'Reviews' },
] as const;

/** The signed-in frame: skip link, navigation, who is signed in, and the page. */
export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Backstop</span>
        <nav aria-label="Console">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <NavLink to={p.path} end={p.path === '/'}>
                  {p.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          {session.role} key <code>{session.keyId.slice(0, 8)}</code>
        </span>
        <button type="button" className="link-button" onClick={session.logout}>
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
