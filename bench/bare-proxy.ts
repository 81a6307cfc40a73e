import { createServer } from 'node:http';
import { Pool } from 'undici';

// The floor of any Node gateway on this machine, for the bench: one more loopback hop with node:http in, undici out
// and JSON parsed and serialized both ways, and nothing else (no auth, engine, log or budget). Configured by the
// environment: PORT (0 picks a free one) and SIM_URL. POST /v1/chat/completions only.
const upstream = new Pool(process.env.SIM_URL!, { connections: 128 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    void (async () => {
      try {
        const body: unknown = JSON.parse(Buffer.concat(chunks).toString());
        const answer = await upstream.request({
          method: 'POST',
          path: '/v1/chat/completions',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = JSON.stringify(await answer.body.json());
        res.writeHead(answer.statusCode, { 'content-type': 'application/json' }).end(text);
      } catch (e) {
        res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: String(e) }));
      }
    })();
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  console.log(`bare proxy listening (url=http://127.0.0.1:${port})`);
});
process.once('SIGTERM', () => server.close(() => void upstream.close().then(() => process.exit(0))));
