/**
 * Seeded task generators: unlimited GSM8K-like arithmetic word problems (debate) and two-hop
 * questions over invented entities (information exchange). Task i depends only on (seed, i),
 * so any slice of a generated set can be regenerated on its own.
 */
import { Rng } from '../base/rng.ts';
import type { ContextPiece, Task } from '../../scenarios/task.ts';

const PEOPLE = [
  'Mia', 'Noah', 'Ava', 'Liam', 'Zoe', 'Omar', 'Lena', 'Ivan', 'Sara', 'Ken', 'Nora', 'Eli',
  'Ruth', 'Paulo', 'Yara', 'Tom', 'Ines', 'Raj', 'Hana', 'Leo',
];
const ITEMS = ['apples', 'stickers', 'marbles', 'books', 'coins', 'pencils', 'cookies', 'stamps', 'shells', 'cards'];
const CONTAINERS = ['bags', 'boxes', 'packs', 'jars', 'crates'];

/** One arithmetic operation: how it reads in the problem and in the worked solution. */
interface ArithStep {
  sentence: string;
  line: string;
  value: number;
}

function arithStep(rng: Rng, who: string, item: string, cur: number): ArithStep {
  // Only operations that keep the running total a positive integer are offered.
  const kinds = ['add', 'packs', 'times'];
  if (cur > 3) kinds.push('sub');
  if (cur % 2 === 0 || cur % 3 === 0) kinds.push('share');
  const kind = rng.pick(kinds);
  switch (kind) {
    case 'add': {
      const k = 2 + rng.below(40);
      return { sentence: `Then ${who} finds ${k} more ${item}.`, line: `${cur} + ${k} = ${cur + k}`, value: cur + k };
    }
    case 'packs': {
      const k = 2 + rng.below(5);
      const m = 2 + rng.below(11);
      const c = rng.pick(CONTAINERS);
      return {
        sentence: `${who} buys ${k} ${c} with ${m} ${item} in each.`,
        line: `${k} * ${m} = ${k * m}, and ${cur} + ${k * m} = ${cur + k * m}`,
        value: cur + k * m,
      };
    }
    case 'times': {
      const k = rng.pick([2, 3]);
      const word = k === 2 ? 'doubles' : 'triples';
      return { sentence: `${who} ${word} the number of ${item}.`, line: `${cur} * ${k} = ${cur * k}`, value: cur * k };
    }
    case 'sub': {
      const k = 1 + rng.below(cur - 1);
      return { sentence: `${who} gives ${k} ${item} to a friend.`, line: `${cur} - ${k} = ${cur - k}`, value: cur - k };
    }
    default: {
      const k = cur % 2 === 0 ? 2 : 3;
      const kept = cur / k;
      return {
        sentence: `${who} splits the ${item} equally into ${k} piles and keeps one pile.`,
        line: `${cur} / ${k} = ${kept}`,
        value: kept,
      };
    }
  }
}

/** GSM8K-like word problems with 1-4 steps; meta.solution holds one line per step. */
export function generateArithmeticTasks(seed: number, n: number): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) {
    const rng = Rng.keyed('gen-arith', seed, i);
    const who = rng.pick(PEOPLE);
    const item = rng.pick(ITEMS);
    const steps = 1 + rng.below(4);
    let cur = 3 + rng.below(30);
    const sentences = [`${who} has ${cur} ${item}.`];
    const lines: string[] = [];
    for (let s = 0; s < steps; s++) {
      const step = arithStep(rng, who, item, cur);
      sentences.push(step.sentence);
      lines.push(step.line);
      cur = step.value;
    }
    sentences.push(`How many ${item} does ${who} have now?`);
    // Difficulty grows with the step count; a per-task share of its own keeps it continuous.
    const difficulty = Math.min(0.95, 0.05 + 0.2 * (steps - 1) + 0.25 * rng.next());
    tasks.push({
      id: `gen-arith-${i}`,
      dataset: 'gen-arith',
      question: sentences.join(' '),
      answers: [String(cur)],
      context: [],
      meta: { solution: lines.join('\n'), difficulty: round2(difficulty), steps },
    });
  }
  return tasks;
}

const FIRST = ['Alma', 'Boris', 'Clara', 'Dario', 'Edith', 'Felix', 'Greta', 'Hugo', 'Irene', 'Jonas', 'Karin', 'Luca', 'Marta', 'Nils', 'Olga', 'Pavel'];
const LAST = ['Varga', 'Lindqvist', 'Moreau', 'Okafor', 'Tanaka', 'Novak', 'Rossi', 'Haddad', 'Keller', 'Duarte', 'Sato', 'Brandt', 'Ilves', 'Quinn'];
const CITIES = ['Brno', 'Porto', 'Tampere', 'Lyon', 'Gdansk', 'Kyoto', 'Graz', 'Bergen', 'Cork', 'Turin', 'Leuven', 'Malmo', 'Aarhus', 'Bilbao', 'Split', 'Ghent'];
const COUNTRIES = ['Chile', 'Norway', 'Portugal', 'Kenya', 'Estonia', 'Vietnam', 'Uruguay', 'Ireland', 'Slovenia', 'Morocco'];
const ADJ = [
  'Silent', 'Crimson', 'Hollow', 'Golden', 'Distant', 'Broken', 'Winter', 'Hidden', 'Last', 'Paper',
  'Northern', 'Quiet', 'Burning', 'Glass', 'Iron', 'Velvet', 'Restless', 'Amber', 'Narrow', 'Endless',
];
const NOUN = [
  'Harbor', 'Orchard', 'Lantern', 'Meridian', 'Garden', 'Tide', 'Signal', 'Bridge', 'Archive', 'Forest',
  'Compass', 'Mirror', 'Valley', 'Station', 'Canal', 'Tower', 'Island', 'Engine', 'Letter', 'Summit',
];

function person(rng: Rng, avoid: ReadonlySet<string>): string {
  for (;;) {
    const p = `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
    if (!avoid.has(p)) return p;
  }
}

function place(rng: Rng, places: readonly string[], avoid: ReadonlySet<string>): string {
  for (;;) {
    const c = rng.pick(places);
    if (!avoid.has(c)) return c;
  }
}

/** How the first hop reads (work -> person) and how the last hop reads (person -> place). */
interface Relation {
  /** "the director of W": the first hop of the question. */
  role: (work: string) => string;
  question: (who: string) => string;
  hop1: (work: string, person: string, year: number) => string;
  last: (person: string, place: string) => string;
  places: readonly string[];
  work: (rng: Rng) => string;
}

const RELATIONS: readonly Relation[] = [
  {
    role: (w) => `the director of ${w}`,
    question: (who) => `Which city was ${who} born in?`,
    hop1: (w, p, y) => `${w} is a ${y} drama film directed by ${p}.`,
    last: (p, c) => `${p} was born in ${c}.`,
    places: CITIES,
    work: (rng) => `The ${rng.pick(ADJ)} ${rng.pick(NOUN)}`,
  },
  {
    role: (w) => `the author of ${w}`,
    question: (who) => `Which country is ${who} from?`,
    hop1: (w, p, y) => `${w} is a novel written by ${p} and published in ${y}.`,
    last: (p, c) => `${p} is a writer from ${c}.`,
    places: COUNTRIES,
    work: (rng) => `${rng.pick(NOUN)} of the ${rng.pick(ADJ)} Sea`,
  },
  {
    role: (w) => `the founder of ${w}`,
    question: (who) => `In which city was ${who} born?`,
    hop1: (w, p, y) => `${w} is a company founded in ${y} by ${p}.`,
    last: (p, c) => `${p}, an engineer and entrepreneur, was born in ${c}.`,
    places: CITIES,
    work: (rng) => `${rng.pick(ADJ)} ${rng.pick(NOUN)} Systems`,
  },
];

/** A middle hop: person -> person. */
interface Link {
  noun: string;
  sentence: (a: string, b: string) => string;
}

const LINKS: readonly Link[] = [
  { noun: 'mentor', sentence: (a, b) => `${a} learned the craft as a student of ${b}.` },
  { noun: 'spouse', sentence: (a, b) => `${a} is married to ${b}.` },
  { noun: 'business partner', sentence: (a, b) => `${a} co-founded a studio with ${b}.` },
];

/**
 * Multi-hop questions (2-4 hops: work -> person, 0-2 person -> person links, person -> place),
 * one supporting piece per hop, and 1-6 distractor pieces of every hop's kind (other works,
 * other links, other people's places: plausible wrong answers and wrong turns). Difficulty is
 * continuous: it grows with the hops and distractors, plus a per-task share of its own. Piece
 * order is shuffled, so a supporting piece is not always first.
 */
export function generateIeTasks(seed: number, n: number): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) {
    const rng = Rng.keyed('gen-ie', seed, i);
    const rel = rng.pick(RELATIONS);
    const hops = 2 + rng.below(3);
    const used = new Set<string>();
    const fresh = () => {
      const p = person(rng, used);
      used.add(p);
      return p;
    };
    const work = rel.work(rng);
    const chain = [fresh()];
    const links: Link[] = [];
    const pieces: ContextPiece[] = [{ title: work, sentences: [rel.hop1(work, chain[0] as string, 1950 + rng.below(70))], supporting: true }];
    for (let h = 2; h < hops; h++) {
      const link = rng.pick(LINKS);
      const next = fresh();
      pieces.push({ title: chain.at(-1) as string, sentences: [link.sentence(chain.at(-1) as string, next)], supporting: true });
      links.push(link);
      chain.push(next);
    }
    const gold = place(rng, rel.places, used);
    used.add(gold);
    pieces.push({ title: chain.at(-1) as string, sentences: [rel.last(chain.at(-1) as string, gold)], supporting: true });
    const distractors = 1 + rng.below(6);
    for (let d = 0; d < distractors; d++) {
      const other = fresh();
      const kind = rng.below(links.length > 0 ? 3 : 2);
      if (kind === 0) {
        // A person with a different place: a wrong answer of the right type.
        const where = place(rng, rel.places, used);
        used.add(where);
        pieces.push({ title: other, sentences: [rel.last(other, where)], supporting: false });
      } else if (kind === 1) {
        // Another work by someone else: a wrong first hop.
        const w = rel.work(rng);
        pieces.push({ title: w, sentences: [rel.hop1(w, other, 1950 + rng.below(70))], supporting: false });
      } else {
        // A link of someone on the chain to a stranger: a wrong turn in the middle.
        const from = rng.pick(chain);
        pieces.push({ title: other, sentences: [rng.pick(LINKS).sentence(other, from)], supporting: false });
      }
    }
    const who = links.reduceRight((phrase, link) => `the ${link.noun} of ${phrase}`, rel.role(work));
    const difficulty = Math.min(0.95, 0.05 + 0.15 * (hops - 2) + 0.04 * distractors + 0.3 * rng.next());
    tasks.push({
      id: `gen-ie-${i}`,
      dataset: 'gen-ie',
      question: rel.question(who),
      answers: [gold],
      context: rng.shuffle(pieces),
      meta: { difficulty: round2(difficulty), hops },
    });
  }
  return tasks;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
