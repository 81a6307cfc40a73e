import WebSocket from 'ws';
import { printedUrl, type ChildHandle } from './processes.js';

/** A DevTools protocol session with a Node process started with `--inspect`. */
export interface InspectorSession {
  /** Sends one command and resolves with its result; rejects with the protocol's error. */
  call<T = unknown>(method: string, params?: Record<string, unknown>): Promise<T>;
  close(): void;
}

/** Waits for the `Debugger listening on ws://...` line of a process started with `--inspect` and returns the URL. */
export const inspectorUrl = (handle: ChildHandle): Promise<string> =>
  printedUrl('inspector', handle, /Debugger listening on (ws:\/\/\S+)/);

/**
 * Opens a DevTools protocol session (the `ws` package, already a dependency of the server).
 * @example const s = await connectInspector(await inspectorUrl(handle)); await s.call('Profiler.enable');
 */
export async function connectInspector(url: string): Promise<InspectorSession> {
  const socket = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  let nextId = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  socket.on('message', (data) => {
    const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = message.id === undefined ? undefined : pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id!);
    if (message.error) waiter.reject(new Error(`inspector: ${message.error.message}`));
    else waiter.resolve(message.result);
  });
  socket.on('close', () => {
    for (const waiter of pending.values()) waiter.reject(new Error('inspector: connection closed'));
    pending.clear();
  });
  return {
    call: <T>(method: string, params: Record<string, unknown> = {}) =>
      new Promise<T>((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}
