import { describe, expect, it } from 'vitest';
import { budgetConfiguration, calibrate, ONE_GROUP, selectionConfigurations, shareName, type BaseSizes } from '../../engine/report/plan.ts';

const BASE: BaseSizes = { iterations: 1, sftTasks: 64, sftSamples: 8, searchTasks: 10, validationTasks: 10, testTasks: 200, groupSize: 5, alpha: 0.5, dpoSeeds: 1 };

describe('selectionConfigurations', () => {
  it('is the five selection modes of §5 at the base sizes, influence with γ = 0 and the mix with γ = 1', () => {
    const configs = selectionConfigurations(BASE);
    expect(configs.map((c) => c.name)).toEqual(['full', 'random', 'q', 'influence', 'mix']);
    expect(configs.map((c) => c.settings.selection.mode)).toEqual(['full', 'random', 'q', 'influence', 'mix']);
    expect(configs.find((c) => c.name === 'influence')?.settings.selection.gamma).toBe(0);
    expect(configs.find((c) => c.name === 'mix')?.settings.selection.gamma).toBe(1);
    for (const c of configs) {
      expect(c.settings).toMatchObject({ searchTasks: 10, validationTasks: 10, groupSize: 5, selection: { alpha: 0.5 } });
      expect(c.kind).toBe('selection');
    }
  });
});

describe('the budget sweep', () => {
  // Two run-iterations of the calibration configuration, hand-computed below.
  const cal = calibrate([
    { qTokens: 10_000, influenceTokens: 6_000, pairs: 30, groups: 6, searchTasks: 10, validationTasks: 10 },
    { qTokens: 12_000, influenceTokens: 6_600, pairs: 34, groups: 7, searchTasks: 10, validationTasks: 10 },
  ]);

  it('calibrates costs from the runs of the calibration configuration', () => {
    // v1 = 12 600 tokens / ((6+1)·10 + (7+1)·10) dialogues = 84; n0 = 100·v1 = 8 400.
    expect(cal.tokensPerValidationDialogue).toBeCloseTo(84, 10);
    expect(cal.normalizerTokens).toBeCloseTo(8_400, 10);
    // B = mean(16 000, 18 600); q1 = (22 000 - 2·8 400) / 20; p1 = 64 / 20.
    expect(cal.budget).toBe(17_300);
    expect(cal.tokensPerSearchTask).toBeCloseTo(260, 10);
    expect(cal.pairsPerSearchTask).toBeCloseTo(3.2, 10);
    expect(cal.observations).toBe(2);
    expect(() => calibrate([])).toThrow(RangeError);
  });

  it('maps a share to search tasks and V, the influence side taking the rest of B', () => {
    const c = budgetConfiguration(0.4, cal, BASE);
    // S = round((0.6·17 300 - 8 400) / 260) = round(7.62) = 8; influence = 17 300 - 8 400 - 8·260 = 6 820;
    // groups = ⌈3.2·8 / 5⌉ = 6; V = round(6 820 / (7·84)) = round(11.6) = 12.
    expect(c.name).toBe('share-0.4');
    expect(c.kind).toBe('budget');
    expect(c.share).toBe(0.4);
    expect(c.settings).toEqual({ searchTasks: 8, validationTasks: 12, groupSize: 5, selection: { mode: 'mix', alpha: 0.5, gamma: 1 } });
    expect(c.notes).toEqual([]);
  });

  it('puts everything on Q at share 0, selecting by Q with the cheapest probes stage', () => {
    const c = budgetConfiguration(0, cal, BASE);
    // S = round((17 300 - 8 400) / 260) = round(34.2).
    expect(c.name).toBe('share-0');
    expect(c.settings).toEqual({ searchTasks: 34, validationTasks: 1, groupSize: ONE_GROUP, selection: { mode: 'q', alpha: 0.5, gamma: 1 } });
  });

  it('clamps the Q side to one search task and says so', () => {
    const c = budgetConfiguration(0.8, cal, BASE);
    // 0.2·17 300 = 3 460 < n0: S = 1; influence = 17 300 - 8 660 = 8 640; groups = 1; V = round(8 640 / 168) = 51.
    expect(c.settings.searchTasks).toBe(1);
    expect(c.settings.validationTasks).toBe(51);
    expect(c.notes.join(' ')).toContain('clamped to 1 search task');
  });

  it('refuses shares outside [0, 1) and names shares compactly', () => {
    expect(() => budgetConfiguration(1, cal, BASE)).toThrow(RangeError);
    expect(() => budgetConfiguration(-0.1, cal, BASE)).toThrow(RangeError);
    expect([0, 0.2, 0.25, 0.8].map(shareName)).toEqual(['share-0', 'share-0.2', 'share-0.25', 'share-0.8']);
  });
});
