/**
 * End to end, as a person sees it: a report rendered from a sweep stored through the store's
 * writer, opened in Debian's Chromium (playwright-core, /usr/bin/chromium). Fails on any console
 * error, page error or request (a self-contained page makes none but its own file); checks every
 * section and chart; saves screenshots under test-output/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/report.js';
import { buildFixtureDb } from './db-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const root = resolve(__dirname, '../..');
const outDir = join(root, 'test-output');
const SECTIONS = ['summary', 'sweep', 'curves', 'heatmap', 'baselines', 'robustness', 'cost', 'samples'];
const CHARTS = ['curves', 'heatmap', 'baselines', 'robustness', 'sensitivity'];

if (!existsSync(CHROMIUM)) {
  // Loud, so a CI log shows why the browser test did not run (.ci/run installs the package).
  console.warn(`SKIPPED report browser test: ${CHROMIUM} not found (install Debian's chromium package: apt-get install -y chromium)`);
}

describe.skipIf(!existsSync(CHROMIUM))('report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fte-report-browser-'));
  const htmlPath = join(dir, 'report.html');
  const problems: string[] = [];
  const requests: string[] = [];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let context: any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let page: any;

  beforeAll(async () => {
    await buildFixtureDb(join(dir, 'fte.duckdb'));
    await writeReport({ db: join(dir, 'fte.duckdb'), out: htmlPath, generatedAt: '2026-11-29T08:00:00.000Z' });
    const { chromium } = await import('playwright-core');
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    // Any script that did run and called alert() would set this flag.
    await context.addInitScript(() => {
      window.alert = () => {
        (window as unknown as { alerted: boolean }).alerted = true;
      };
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m: { type(): string; text(): string }) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e: Error) => problems.push(`page error: ${e.message}`));
    page.on('requestfailed', (r: { url(): string; failure(): { errorText: string } | null }) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('request', (r: { url(): string }) => requests.push(r.url()));
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await context?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loads with no console error, no page error and no request but the file itself', () => {
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(htmlPath).href]);
  });

  it.each(SECTIONS)('section %s is present, visible and non-empty', async (s) => {
    const el = page.locator(`[data-section="${s}"]`);
    expect(await el.count()).toBe(1);
    expect(await el.isVisible()).toBe(true);
    const box = await el.boundingBox();
    expect(box.height).toBeGreaterThan(120);
    expect((await el.innerText()).length).toBeGreaterThan(80);
  });

  it.each(CHARTS)('chart %s renders as a drawn SVG', async (c) => {
    const svg = page.locator(`[data-chart="${c}"] svg`).first();
    expect(await svg.isVisible()).toBe(true);
    const box = await svg.boundingBox();
    expect(box.width).toBeGreaterThan(150);
    expect(box.height).toBeGreaterThan(80);
    const marks = await svg.locator('path, rect, line').count();
    expect(marks).toBeGreaterThan(5);
  });

  it('the best variant is highlighted in the summary and the sweep table', async () => {
    expect(await page.locator('[data-testid="best-variant"] .best-name').innerText()).toBe('r=8 lr=3e-4');
    const best = page.locator('[data-testid="sweep-table"] tbody tr.best');
    expect(await best.count()).toBe(1);
    expect(await best.getAttribute('data-run')).toBe('run-4');
  });

  it('hostile model text is shown as text, never run or parsed as markup', async () => {
    expect(await page.evaluate(() => document.querySelectorAll('script').length)).toBe(2);
    const text = await page.locator('[data-section="samples"]').innerText();
    expect(text).toContain('<script>alert(1)</script>');
    expect(text).toContain('@someone');
    expect(await page.evaluate(() => (window as unknown as { alerted?: boolean }).alerted ?? false)).toBe(false);
  });

  it('the sweep table sorts in the browser', async () => {
    const runs = async (): Promise<string[]> => page.locator('[data-testid="sweep-table"] tbody tr').evaluateAll((rows: HTMLElement[]) => rows.map((r) => r.dataset.run));
    const before = await runs();
    expect(before[0]).toBe('run-4');
    const rankHeader = page.locator('[data-testid="sweep-table"] thead th', { hasText: 'rank' }).locator('button');
    await rankHeader.click();
    const asc = await runs();
    expect(asc.slice(0, 2).sort()).toEqual(['run-1', 'run-2']);
    await rankHeader.click();
    expect((await runs()).slice(0, 2).sort()).toEqual(['run-5', 'run-6']);
    await page.locator('[data-testid="sweep-table"] thead th', { hasText: 'classify/f1_macro' }).locator('button').click();
    await page.locator('[data-testid="sweep-table"] thead th', { hasText: 'classify/f1_macro' }).locator('button').click();
    expect((await runs())[0]).toBe('run-4');
    expect(problems).toEqual([]);
  });

  it('saves screenshots under test-output/', async () => {
    mkdirSync(outDir, { recursive: true });
    const full = join(outDir, 'report.png');
    await page.goto(pathToFileURL(htmlPath).href);
    await page.screenshot({ path: full, fullPage: true });
    await page.screenshot({ path: join(outDir, 'report-top.png') });
    expect(existsSync(full)).toBe(true);
  });
});
