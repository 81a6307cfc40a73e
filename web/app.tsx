import { useEffect, useMemo, useState } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { Provider } from 'urql';
import { Layout } from './components/layout.js';
import { Loading } from './components/states.js';
import { SessionContext, type Session } from './lib/auth.js';
import { clearKey, loadKey, saveKey } from './lib/session.js';
import { createConsoleClient } from './lib/urql.js';
import { verifyKey } from './lib/verify-key.js';
import { AlertsPage } from './pages/alerts.js';
import { BudgetsPage } from './pages/budgets.js';
import { DecisionsPage } from './pages/decisions.js';
import { FlagsPage } from './pages/flags.js';
import { LoginPage } from './pages/login.js';
import { OverviewPage } from './pages/overview.js';
import { PoliciesPage } from './pages/policies.js';
import { ReviewsPage } from './pages/reviews.js';
import { RoutesPage } from './pages/routes.js';

type Who = Omit<Session, 'logout' | 'key'>;

function SignedIn({ session }: { session: Session }) {
  const { client, dispose } = useMemo(() => createConsoleClient(session.key), [session.key]);
  useEffect(() => dispose, [dispose]);
  return (
    <SessionContext.Provider value={session}>
      <Provider value={client}>
        <BrowserRouter>
          <Layout>
            <Routes>
              <Route path="/" element={<OverviewPage />} />
              <Route path="/policies" element={<PoliciesPage />} />
              <Route path="/budgets" element={<BudgetsPage />} />
              <Route path="/decisions" element={<DecisionsPage />} />
              <Route path="/decisions/:id" element={<DecisionsPage />} />
              <Route path="/routes" element={<RoutesPage />} />
              <Route path="/flags" element={<FlagsPage />} />
              <Route path="/alerts" element={<AlertsPage />} />
              <Route path="/reviews" element={<ReviewsPage />} />
              <Route path="*" element={<p className="state state-empty">No such page.</p>} />
            </Routes>
          </Layout>
        </BrowserRouter>
      </Provider>
    </SessionContext.Provider>
  );
}

/** Signs in (or re-checks a key kept from earlier in this tab), then shows the console. */
export function App() {
  const [key, setKey] = useState<string | null>(() => loadKey());
  const [who, setWho] = useState<Who | null>(null);
  const [notice, setNotice] = useState<string | undefined>();

  useEffect(() => {
    if (!key || who) return;
    let live = true;
    void verifyKey(key).then((check) => {
      if (!live) return;
      if (check.ok) setWho(check.session);
      else {
        clearKey();
        setKey(null);
        setNotice(`Signed out: ${check.message}`);
      }
    });
    return () => {
      live = false;
    };
  }, [key, who]);

  if (!key)
    return (
      <LoginPage
        notice={notice}
        onLogin={(k, w) => {
          saveKey(k);
          setWho(w);
          setKey(k);
        }}
      />
    );
  if (!who) return <Loading what="your session" />;
  const logout = () => {
    clearKey();
    setWho(null);
    setKey(null);
    setNotice('Signed out.');
  };
  return <SignedIn session={{ ...who, key, logout }} />;
}
