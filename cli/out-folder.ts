/**
 * What a command may do with an --out folder that already exists. A finished folder (it has a
 * manifest) is never replaced silently: a 200-task search must not vanish under a 5-task one.
 * --overwrite empties it first, and only when it is a dits folder, so a mistyped --out of a
 * folder of one's own is refused rather than deleted. It keeps the HTTP response cache: keyed by
 * request content, it only replays what a server answered, and rerunning into the folder is how a
 * run over a server is replayed without one.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../scenarios/errors.ts';
import { HTTP_CACHE_FILE } from '../engine/openai/server-backend.ts';

/** Files that mark a folder as written by dits (finished, or a search's checkpoint). */
const MARKS = ['manifest.json', 'search.ckpt', 'progress.json'];

export function claimOutFolder(out: string, o: { overwrite?: boolean; resume?: boolean }): void {
  if (o.resume || !existsSync(out)) return;
  // A run that failed early leaves only the `.partial` file it was writing.
  const isDits = MARKS.some((f) => existsSync(join(out, f))) || readdirSync(out).some((f) => f.endsWith('.partial'));
  if (o.overwrite) {
    if (!isDits && readdirSync(out).length > 0) throw new InputError(`${out} is not a dits folder (no ${MARKS.join(', ')}): --overwrite deletes only folders dits wrote; choose another --out`);
    for (const f of readdirSync(out)) if (f !== HTTP_CACHE_FILE) rmSync(join(out, f), { recursive: true, force: true });
    return;
  }
  if (existsSync(join(out, 'manifest.json'))) {
    throw new InputError(`${out} already holds a finished dits folder (manifest.json): choose another --out, or pass --overwrite to replace it`);
  }
}
