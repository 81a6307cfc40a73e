import type { ProviderAdapter, ProviderResolver } from '../../shared/engine/ports.js';
import { OPENAI_COMPATIBLE_PRESETS, type ProviderConfig } from '../config.js';
import { createAnthropicAdapter } from './anthropic.js';
import { createGeminiAdapter } from './gemini.js';
import { createOpenAIAdapter } from './openai.js';
import { startSimulator, type Simulator } from './simulator/server.js';

export interface ProviderRegistry {
  resolve: ProviderResolver;
  /** The in-process simulator, when any provider is of kind `simulator` (for drills and the demo). */
  simulator?: Simulator;
  close(): Promise<void>;
}

/** Builds one adapter per configured provider; starts the simulator on loopback if a provider uses it. */
export async function createProviderRegistry(
  providers: Record<string, ProviderConfig>,
  options: { simulatorSeed?: number; zeroDelay?: boolean } = {},
): Promise<ProviderRegistry> {
  const needsSimulator = Object.values(providers).some((p) => p.kind === 'simulator');
  const simulator = needsSimulator
    ? await startSimulator({
        seed: options.simulatorSeed ?? 1,
        ...(options.zeroDelay !== undefined && { zeroDelay: options.zeroDelay }),
      })
    : undefined;
  const adapters = new Map<string, ProviderAdapter>();
  for (const [name, p] of Object.entries(providers)) adapters.set(name, createAdapter(p, simulator));
  return {
    resolve: (route) => adapters.get(route.provider),
    ...(simulator && { simulator }),
    close: async () => {
      await simulator?.close();
    },
  };
}

function createAdapter(p: ProviderConfig, simulator: Simulator | undefined): ProviderAdapter {
  switch (p.kind) {
    case 'openai': {
      const baseUrl = p.baseUrl ?? OPENAI_COMPATIBLE_PRESETS[p.preset ?? 'openai'];
      return createOpenAIAdapter({
        baseUrl,
        ...(p.apiKey !== undefined && { apiKey: p.apiKey }),
        ...(p.auth && { auth: p.auth }),
        ...(p.azure && { azure: p.azure }),
        ...(p.headers && { headers: p.headers }),
      });
    }
    case 'anthropic':
      return createAnthropicAdapter({
        baseUrl: p.baseUrl,
        apiKey: p.apiKey,
        ...(p.version && { version: p.version }),
        ...(p.headers && { headers: p.headers }),
      });
    case 'gemini':
      return createGeminiAdapter({ baseUrl: p.baseUrl, apiKey: p.apiKey, ...(p.headers && { headers: p.headers }) });
    case 'simulator':
      return p.format === 'anthropic'
        ? createAnthropicAdapter({ baseUrl: simulator!.url, apiKey: 'simulator' })
        : createOpenAIAdapter({ baseUrl: `${simulator!.url}/v1`, auth: 'none' });
  }
}
