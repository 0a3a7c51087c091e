/**
 * dits's own Markdown reports (compare's report.md) as HTML for the page, with marked. Marked
 * passes raw HTML through and keeps links; the Markdown here is dits's, but it quotes names a
 * user chose (a scenario's, a file's), so raw HTML is shown as text and links as their text.
 */
import { Eta } from 'eta';
import { Marked } from 'marked';

const { escapeFunction } = new Eta().config;

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeFunction(text),
    link({ tokens }) {
      return this.parser.parseInline(tokens);
    },
    image: ({ text }) => escapeFunction(text),
    // The page has its own h1 and section h2s: the Markdown's headings go below them.
    heading({ tokens, depth }) {
      const level = Math.min(6, depth + 2);
      return `<h${level}>${this.parser.parseInline(tokens)}</h${level}>\n`;
    },
  },
});

export function markdownHtml(markdown: string): string {
  return marked.parse(markdown) as string;
}
