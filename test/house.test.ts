/** The layout the README draws holds in the code: bin/house.ts checks the rules and draws docs/house.md. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { houseMarkdown, inspectHouse, roomCircles, type Rooms } from '../bin/house.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('the house', () => {
  let house: { violations: string[]; rooms: Rooms };
  beforeAll(async () => {
    house = await inspectHouse();
  });

  it('keeps every import rule: one-way layers, no circle between modules, no test code in the library', async () => {
    expect(house.violations).toEqual([]);
  });

  it('has no circle between rooms (top-level folders, engine/ by subfolder), and docs/house.md is the current drawing', async () => {
    const { rooms } = house;
    expect(roomCircles(rooms)).toEqual([]);
    expect(readFileSync(`${ROOT}docs/house.md`, 'utf8'), 'run `npm run house` to redraw docs/house.md').toBe(houseMarkdown(rooms));
  });

  it('keeps no loose files in engine/: every module sits in the folder of its idea', () => {
    const loose = readdirSync(`${ROOT}engine`).filter((f) => statSync(`${ROOT}engine/${f}`).isFile() && f !== 'index.ts');
    expect(loose).toEqual([]);
  });
});
