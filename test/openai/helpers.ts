import { afterEach } from 'vitest';
import { connectOpenAI, type OpenAIBackend, type OpenAIOptions } from '../../engine/openai/index.ts';
import { MockServer } from './mock.ts';

export interface Harness {
  logs: string[];
  connect(servers: MockServer[], opts?: Partial<OpenAIOptions>, caps?: number[]): Promise<OpenAIBackend>;
  server(): Promise<MockServer>;
}

/** Mock servers and backends made in a test are closed after it. */
export function harness(): Harness {
  const servers: MockServer[] = [];
  const backends: OpenAIBackend[] = [];
  const logs: string[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    await Promise.all(backends.splice(0).map((b) => b.close().catch(() => undefined)));
    logs.length = 0;
  });
  return {
    logs,
    async server() {
      const s = await MockServer.start();
      servers.push(s);
      return s;
    },
    async connect(ss, opts = {}, caps) {
      const b = await connectOpenAI({
        endpoints: ss.map((s, i) => ({ url: s.url, maxInFlight: caps?.[i] ?? 8 })),
        requestTimeoutMs: 300,
        maxRetries: 3,
        backoff: { baseMs: 1, maxMs: 5 },
        failuresBeforeEjection: 3,
        probeIntervalMs: 20,
        downTimeoutMs: 300,
        tokenizer: 'server',
        speakerPrefill: true,
        log: (l) => logs.push(l),
        ...opts,
      });
      backends.push(b);
      return b;
    },
  };
}

export const ALICE = {
  messages: [
    { role: 'system' as const, content: 'You are Alice.' },
    { role: 'assistant' as const, content: 'Bob: I think it is Paris.' },
  ],
  speaker: 'Alice',
  n: 1,
  temperature: 0.7,
  maxTokens: 100,
  seed: 42,
};

/** Resolves once `cond()` holds; fails the test if it does not within `timeoutMs`. */
export async function eventually(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
