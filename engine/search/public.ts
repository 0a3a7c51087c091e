/**
 * The `dits` package entry (`import { ... } from 'dits'`): what a search policy's author needs.
 * The policy interface and its helpers, the tree a policy reads, the keyed random stream it
 * draws from, and the built-in policies to build on. A policy file run by the dits CLI resolves
 * `dits` to the running dits wherever the file is (engine/search/policies/file-hooks.mjs).
 */
export {
  argmaxBy,
  expandable,
  expandableNodes,
  NO_NODE,
  resolveParams,
  ROOT,
  sampleSoftmax,
  unselectedExpandable,
  type PolicyParams,
  type SearchPolicy,
  type SelectionContext,
} from './policy.ts';
export { whyNotExpandable } from './loop.ts';
export { BUILTIN_POLICIES, loadPolicy } from './policies/index.ts';
export { bestOfNPolicy } from './policies/best-of-n.ts';
export { ditsPolicy, ditsScore } from './policies/dits.ts';
export { filterAgainstSelected, optimaCandidates, optimaPolicy, topByValue } from './policies/optima.ts';
export { puctPolicy } from './policies/puct.ts';
export { randomPolicy } from './policies/random.ts';
export { uctPolicy } from './policies/uct.ts';
export { SELECTION_FILTER, selectionRatio } from '../tree/edit.ts';
export { TreeStore } from '../tree/store.ts';
export { Rng } from '../base/rng.ts';
export { InputError } from '../../scenarios/errors.ts';
