import { vi } from 'vitest';

/**
 * What a terminal shows after the given output: enough of a VT100 for what cli-progress and
 * node:readline write (carriage return, newline, cursor to a column, erase in line, cursor
 * save and restore); other control sequences are ignored.
 */
export class Screen {
  readonly lines: string[] = [''];
  private row = 0;
  private col = 0;
  private saved = { row: 0, col: 0 };

  write(s: string): void {
    const re = /\x1b\[(\??)(\d*)([A-Za-z])|\x1b([78])|\r|\n|[^\x1b\r\n]+/gu;
    for (const m of s.matchAll(re)) {
      const [all, question, n, cmd, saveRestore] = m;
      if (all === '\r') this.col = 0;
      else if (all === '\n') this.newline();
      else if (saveRestore === '7') this.saved = { row: this.row, col: this.col };
      else if (saveRestore === '8') ({ row: this.row, col: this.col } = this.saved);
      else if (cmd !== undefined && question === '') this.control(cmd, n === '' ? 0 : Number(n));
      else if (cmd === undefined) this.put(all);
    }
  }

  /** The screen's lines without trailing blanks. */
  shown(): string[] {
    return this.lines.map((l) => l.trimEnd());
  }

  private put(s: string): void {
    const line = this.lines[this.row] as string;
    const chars = [...line.padEnd(this.col)];
    const add = [...s];
    chars.splice(this.col, add.length, ...add);
    this.lines[this.row] = chars.join('');
    this.col += add.length;
  }

  private newline(): void {
    this.row++;
    this.col = 0;
    if (this.lines.length <= this.row) this.lines.push('');
  }

  private control(cmd: string, n: number): void {
    const line = this.lines[this.row] as string;
    if (cmd === 'G') this.col = Math.max(0, n - 1);
    else if (cmd === 'K' && n === 0) this.lines[this.row] = [...line].slice(0, this.col).join('');
    else if (cmd === 'K' && n === 1) this.lines[this.row] = ' '.repeat(this.col) + [...line].slice(this.col).join('');
    else if (cmd === 'K' && n === 2) this.lines[this.row] = '';
  }
}

/**
 * process.stderr as a terminal `columns` wide and process.stdout beside it, every write drawn on
 * `screen` and kept in `writes`; returns the undo.
 */
export function onTerminal(screen: Screen, columns = 100, writes: string[] = []): () => void {
  const draw = (s: string | Uint8Array) => {
    writes.push(String(s));
    screen.write(String(s));
    return true;
  };
  vi.spyOn(process.stderr, 'write').mockImplementation(draw);
  vi.spyOn(process.stdout, 'write').mockImplementation(draw);
  const own = Object.getOwnPropertyDescriptors(process.stderr);
  Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
  Object.defineProperty(process.stderr, 'columns', { value: columns, configurable: true });
  return () => {
    vi.restoreAllMocks();
    for (const key of ['isTTY', 'columns'] as const) {
      const d = own[key];
      if (d) Object.defineProperty(process.stderr, key, d);
      else delete (process.stderr as unknown as Record<string, unknown>)[key];
    }
  };
}
