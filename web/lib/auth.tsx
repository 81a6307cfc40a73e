import { createContext, useContext } from 'react';

export interface Session {
  key: string;
  role: 'admin' | 'viewer' | 'tenant';
  keyId: string;
  tenantId: string | null;
  logout(): void;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in admin; pages render only inside the signed-in shell, so this never returns null there. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside the signed-in console');
  return session;
}
