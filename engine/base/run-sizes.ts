/** How big one run of the DITS loop is: iterations and the task counts of its stages (§3.4). */
export interface RunSizes {
  iterations: number;
  /** Tasks sampled for SFT data per iteration. */
  sftTasks: number;
  /** Dialogues sampled per SFT task (§2.2). */
  sftSamples: number;
  /** Tasks searched per iteration. */
  searchTasks: number;
  /** Validation tasks V of every probe (§3.2). */
  validationTasks: number;
  /** Test tasks evaluated after each iteration. */
  testTasks: number;
  /** Pairs per influence probe. */
  groupSize: number;
}
