/**
 * A whole run as a queue job (`dits compare --queue`): a worker makes the run's folder in a
 * temporary place, from its manifest alone, and hands back every file. A run's folder does not
 * depend on where it is made (its files name no path of their own), so the comparison gets the
 * folder its own process would have written.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { writeJsonAtomic } from '../engine/storage/files.ts';
import { MANIFEST, type RunManifest } from '../actors/run-manifest.ts';
import { finishRun } from '../actors/run-env.ts';

/** A run folder's files by path relative to it, in path order; a folder is its path and '/' (an empty one counts too). */
export type RunFiles = [path: string, bytes: Uint8Array][];

export async function makeRun(manifest: RunManifest): Promise<RunFiles> {
  const out = mkdtempSync(join(tmpdir(), 'dits-run-job-'));
  try {
    writeJsonAtomic(join(out, MANIFEST), manifest);
    await finishRun(out, manifest);
    return filesOf(out);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function filesOf(dir: string): RunFiles {
  const files: RunFiles = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        files.push([`${relative(dir, p)}/`, new Uint8Array()]);
        walk(p);
      } else files.push([relative(dir, p), readFileSync(p)]);
    }
  };
  walk(dir);
  return files;
}
