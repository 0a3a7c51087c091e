/**
 * Seeded task generators: unlimited GSM8K-like arithmetic word problems (debate) and two-hop
 * questions over invented entities (information exchange). Task i depends only on (seed, i),
 * so any slice of a generated set can be regenerated on its own.
 */
import { Rng } from '../rng.ts';
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
    // Difficulty grows with the step count; the jitter keeps tasks of one length apart.
    const difficulty = Math.min(1, 0.1 + 0.22 * (steps - 1) + 0.1 * rng.next());
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

/** A two-hop relation: work -> person (hop 1), person -> place (hop 2). */
interface Relation {
  question: (work: string) => string;
  hop1: (work: string, person: string, year: number) => string;
  hop2: (person: string, place: string) => string;
  places: readonly string[];
  work: (rng: Rng) => string;
}

const RELATIONS: readonly Relation[] = [
  {
    question: (w) => `Which city was the director of ${w} born in?`,
    hop1: (w, p, y) => `${w} is a ${y} drama film directed by ${p}.`,
    hop2: (p, c) => `${p} is a film director who was born in ${c}.`,
    places: CITIES,
    work: (rng) => `The ${rng.pick(ADJ)} ${rng.pick(NOUN)}`,
  },
  {
    question: (w) => `Which country is the author of ${w} from?`,
    hop1: (w, p, y) => `${w} is a novel written by ${p} and published in ${y}.`,
    hop2: (p, c) => `${p} is a writer from ${c}.`,
    places: COUNTRIES,
    work: (rng) => `${rng.pick(NOUN)} of the ${rng.pick(ADJ)} Sea`,
  },
  {
    question: (w) => `In which city was the founder of ${w} born?`,
    hop1: (w, p, y) => `${w} is a company founded in ${y} by ${p}.`,
    hop2: (p, c) => `${p}, an engineer and entrepreneur, was born in ${c}.`,
    places: CITIES,
    work: (rng) => `${rng.pick(ADJ)} ${rng.pick(NOUN)} Systems`,
  },
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

/**
 * Two-hop questions with one supporting piece per hop and 2-4 distractor pieces about other
 * works and people (so other places and names are plausible wrong answers). Piece order is
 * shuffled, so a supporting piece is not always first.
 */
export function generateIeTasks(seed: number, n: number): Task[] {
  const tasks: Task[] = [];
  for (let i = 0; i < n; i++) {
    const rng = Rng.keyed('gen-ie', seed, i);
    const rel = rng.pick(RELATIONS);
    const used = new Set<string>();
    const work = rel.work(rng);
    const who = person(rng, used);
    used.add(who);
    const gold = place(rng, rel.places, used);
    used.add(gold);
    const pieces: ContextPiece[] = [
      { title: work, sentences: [rel.hop1(work, who, 1950 + rng.below(70))], supporting: true },
      { title: who, sentences: [rel.hop2(who, gold)], supporting: true },
    ];
    const distractors = 2 + rng.below(3);
    for (let d = 0; d < distractors; d++) {
      const other = person(rng, used);
      used.add(other);
      if (rng.chance(0.5)) {
        // A person with a different place: a wrong answer of the right type.
        const where = place(rng, rel.places, used);
        used.add(where);
        pieces.push({ title: other, sentences: [rel.hop2(other, where)], supporting: false });
      } else {
        // Another work by someone else: a wrong first hop.
        const w = rel.work(rng);
        pieces.push({ title: w, sentences: [rel.hop1(w, other, 1950 + rng.below(70))], supporting: false });
      }
    }
    tasks.push({
      id: `gen-ie-${i}`,
      dataset: 'gen-ie',
      question: rel.question(work),
      answers: [gold],
      context: rng.shuffle(pieces),
      meta: { difficulty: round2(0.2 + 0.1 * distractors), hops: 2 },
    });
  }
  return tasks;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
