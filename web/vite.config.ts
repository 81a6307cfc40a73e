import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const gateway = process.env.BACKSTOP_URL ?? 'http://127.0.0.1:4000';

// The console is built into dist/web, which the gateway serves at `/`. `npm run dev:web` serves it with HMR and
// proxies the API to a running gateway (BACKSTOP_URL, default http://127.0.0.1:4000).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    port: 5173,
    proxy: { '/graphql': { target: gateway, ws: true, changeOrigin: true } },
  },
});
