// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoginPage } from './login.js';

function answer(body: unknown) {
  return vi.fn(async () => new Response(JSON.stringify(body), { headers: { 'content-type': 'application/json' } }));
}

describe('LoginPage', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('signs in with a key the gateway knows, passing who it belongs to', async () => {
    const fetch = answer({ data: { me: { keyId: 'k1', role: 'admin', tenantId: null } } });
    vi.stubGlobal('fetch', fetch);
    const onLogin = vi.fn();
    render(<LoginPage onLogin={onLogin} />);
    await userEvent.type(screen.getByLabelText('API key'), 'bk_admin_secret');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(onLogin).toHaveBeenCalledWith('bk_admin_secret', { keyId: 'k1', role: 'admin', tenantId: null });
    const init = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(new Headers(init[1].headers).get('authorization')).toBe('Bearer bk_admin_secret');
  });

  it('says clearly that a bad key was not accepted, and does not sign in', async () => {
    vi.stubGlobal(
      'fetch',
      answer({ errors: [{ message: 'a valid API key is required', extensions: { code: 'UNAUTHENTICATED' } }] }),
    );
    const onLogin = vi.fn();
    render(<LoginPage onLogin={onLogin} />);
    await userEvent.type(screen.getByLabelText('API key'), 'bk_admin_wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/not accepted/);
    expect(onLogin).not.toHaveBeenCalled();
  });

  it('turns tenant keys away: the console is for staff', async () => {
    vi.stubGlobal('fetch', answer({ data: { me: { keyId: 'k2', role: 'tenant', tenantId: 'acme' } } }));
    const onLogin = vi.fn();
    render(<LoginPage onLogin={onLogin} />);
    await userEvent.type(screen.getByLabelText('API key'), 'bk_tenant_x');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/tenant key/);
    expect(onLogin).not.toHaveBeenCalled();
  });

  it('asks for a key instead of sending an empty one', async () => {
    const fetch = answer({});
    vi.stubGlobal('fetch', fetch);
    render(<LoginPage onLogin={vi.fn()} />);
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/Enter an admin key/);
    expect(fetch).not.toHaveBeenCalled();
  });
});
