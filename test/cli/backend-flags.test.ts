/** The openai backend's endpoint flags: repeated --endpoint, an endpoints file, and their errors. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointsFrom } from '../../cli/backend.ts';
import { cli, tempDir } from './helpers.ts';

describe('endpoint flags', () => {
  it('reads repeated --endpoint and a YAML file, with the file entries keeping their own caps', async () => {
    const dir = tempDir();
    const file = join(dir, 'endpoints.yaml');
    writeFileSync(file, 'endpoints:\n  - url: http://gpu1:8000\n    maxInFlight: 128\n  - url: http://gpu2:8000\n');
    expect(endpointsFrom({ endpoint: ['http://a:1/v1', 'http://b:2/'], endpoints: file, maxInFlight: 16 })).toEqual([
      { url: 'http://a:1', maxInFlight: 16 },
      { url: 'http://b:2', maxInFlight: 16 },
      { url: 'http://gpu1:8000', maxInFlight: 128 },
      { url: 'http://gpu2:8000', maxInFlight: 16 },
    ]);
  });

  it('names the file and the entry of a bad endpoints file, and asks for an endpoint when none is given', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify([{ url: 'http://ok:1' }, { url: 'not a url' }]));
    expect(() => endpointsFrom({ endpoints: file, maxInFlight: 4 })).toThrow(new RegExp(`${file}: endpoints\\[1\\.url\\]`));
    expect(() => endpointsFrom({ endpoint: ['gpu1:8000'], maxInFlight: 4 })).toThrow(/--endpoint gpu1:8000: expected a URL/);
    const r = await cli(['simulate', '--scenario', 'hotpotqa', '--backend', 'openai', '--out', join(dir, 'x')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/needs at least one --endpoint/);
  });
});
