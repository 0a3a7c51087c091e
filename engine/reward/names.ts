/**
 * Name checks of Optima's reward (§2.1): an utterance that speaks for more than one agent, or
 * names its own speaker twice, is a format failure.
 *
 * Reference (swt-user/DITS): `reward/deploy_reward.py` `get_score_deploy` and
 * `dataloader/dataloader.py` `data_clean` both look for the literal strings `Alice:` and `Bob:`
 * (`re.search` / `re.findall`), case-sensitive, anywhere in the utterance (no word boundary), so
 * the speaker's own `Name:` prefix counts as one mention. Here the hard-wired pair is generalised
 * to any list of agent names; with `['Alice', 'Bob']` the result is the reference's.
 */

/** How an utterance mentions the agents' `Name:` prefixes. */
export interface NameMentions {
  /** How many different agents' `Name:` occur at least once (reference: "both names"). */
  distinct: number;
  /** Some agent's `Name:` occurs at least twice (reference: "a name twice"). */
  repeated: boolean;
}

/**
 * Non-overlapping occurrences of `needle`, counted left to right as Python's `re.findall` does
 * for a literal pattern. `Name:` can never overlap itself (a name has no colon), so this is also
 * the plain occurrence count.
 */
function countOccurrences(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
}

export function nameMentions(utterance: string, agentNames: readonly string[]): NameMentions {
  let distinct = 0;
  let repeated = false;
  for (const name of new Set(agentNames)) {
    const n = countOccurrences(utterance, `${name}:`);
    if (n >= 1) distinct++;
    if (n >= 2) repeated = true;
  }
  return { distinct, repeated };
}

/**
 * The utterance contains two different agents' `Name:` or one agent's `Name:` twice: the
 * model spoke for its partner or restarted its own turn. Substring semantics as in the
 * reference, so with agents `Bob` and `BigBob` an utterance containing `BigBob:` mentions both.
 */
export function hasMultiName(utterance: string, agentNames: readonly string[]): boolean {
  const m = nameMentions(utterance, agentNames);
  return m.distinct >= 2 || m.repeated;
}

/** What `data_clean` subtracts per offending utterance. */
export const DATA_CLEAN_PENALTY = 10;

/**
 * The SFT path's `data_clean` penalty, as a positive amount to subtract from R.
 *
 * Exactly the reference's loop, which is not quite "10 per multi-name utterance": an utterance
 * with a name twice costs 10 and the scan goes on, but the first utterance with two different
 * names costs 10 and ends the scan, so later utterances are not counted.
 */
export function dataCleanPenalty(utterances: readonly string[], agentNames: readonly string[]): number {
  let penalty = 0;
  for (const u of utterances) {
    const m = nameMentions(u, agentNames);
    if (m.distinct >= 2) return penalty + DATA_CLEAN_PENALTY;
    if (m.repeated) penalty += DATA_CLEAN_PENALTY;
  }
  return penalty;
}
