/**
 * Headless Chromium for the report tests: Debian's package at /usr/bin/chromium (installed by
 * .ci/run), driven by playwright-core. Without the browser the tests are skipped, saying so.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { decode } from 'fast-png';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
// CI installs the browser and sets this, so there a missing browser fails instead of skipping.
if (!hasChromium && process.env.DITS_REQUIRE_CHROMIUM) throw new Error(`DITS_REQUIRE_CHROMIUM is set but ${CHROMIUM} does not exist: install Debian's chromium package`);

// Without the background-networking flags Chromium keeps opening connections that this closed
// network refuses; none of them is the page's.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** A browser with a fresh profile (playwright's launch makes a temporary user-data-dir). */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** What went wrong while a page was open: console errors and warnings, uncaught exceptions, requests for anything but the file itself. */
export interface PageTrouble {
  console: string[];
  errors: string[];
  requests: string[];
}

/** Opens `file` and records its trouble from the first byte on. */
export async function openReport(browser: Browser, file: string): Promise<{ page: Page; trouble: PageTrouble }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // A local page answers in milliseconds: a missing element should fail the test soon, not after playwright's 30 s.
  page.setDefaultTimeout(5_000);
  const trouble: PageTrouble = { console: [], errors: [], requests: [] };
  const url = pathToFileURL(file).href;
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') trouble.console.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => trouble.errors.push(e.message));
  page.on('request', (r) => {
    if (r.url() !== url) trouble.requests.push(r.url());
  });
  await page.goto(url, { waitUntil: 'load' });
  return { page, trouble };
}

/** Pixels of a PNG screenshot: how many differ from its corner's colour, and how many distinct colours it has. */
export function pixelStats(png: Buffer): { width: number; height: number; nonBackground: number; colours: number } {
  const img = decode(png);
  const channels = img.channels;
  const data = img.data;
  const at = (i: number) => Array.from({ length: channels }, (_, c) => data[i * channels + c]).join(',');
  const background = at(0);
  const colours = new Set<string>();
  let nonBackground = 0;
  for (let i = 0; i < img.width * img.height; i++) {
    const c = at(i);
    colours.add(c);
    if (c !== background) nonBackground++;
  }
  return { width: img.width, height: img.height, nonBackground, colours: colours.size };
}
