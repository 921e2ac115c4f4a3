// The asset import and export in a real browser against a real `yunwei serve --demo`, in both
// languages: the asset manager follows the list's link to the import page, checks a file of
// 3,000 new assets with three bad rows (each reported with its line, cell and reason, nothing
// stored), imports the corrected file, finds an imported asset in the list and downloads the
// list as CSV; and she sends a file of scans to the open stock-take. On a server of its own, so
// the demo's stock-take is not shared with cmdb.test.mjs. Screenshots go to screenshots/
// (asset-import-*, stocktake-scans-*).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launchBrowser, noOverflow, shot, signIn, startServer, submit } from './lib.mjs';

/** How many assets the file brings. */
const ROWS = 3000;
/** Where the new assets go: a hospital building the demo's stock-take does not cover. */
const LOCATION = '2号住院楼 Inpatient ward / 5 / 02';

/** The words the pages and files use, per language. */
const WORDS = {
  'zh-CN': {
    tag: 'zh',
    // The columns as the import reads them and the export writes them.
    headers: ['资产标签', '序列号', '名称', '型号', '状态', '位置', '购买日期', '价格'],
    exportHeaders: '单位,资产标签,序列号,名称,型号,状态,位置,购买日期',
    inStock: '在库', badStatus: '丢失', name: '端到端电脑',
    error: '错误', add: '新增',
    badDate: '不是有效日期', notOneOf: '无效，可选值', repeated: (line) => `在本文件第 ${line} 行已出现`,
    notApplied: '未导入任何数据：有 3 行有错误。',
    dryRun: `已检查 ${ROWS} 行，尚未保存：将新增 ${ROWS}，更新 0，未变 0。`,
    applied: `已导入 ${ROWS} 行：新增 ${ROWS}，更新 0，未变 0。`,
    noAssets: '没有',
    scanHeader: '标签或序列号',
    found: '盘到', unexpected: '盘盈', scannedBefore: '已扫描过：未作更改',
    scansSummary: '已记录 3 次扫描：盘到 1，位置变动 0，盘盈 1，重复扫描 1。',
  },
  en: {
    tag: 'en',
    headers: ['Asset tag', 'Serial number', 'Name', 'Model', 'Status', 'Location', 'Purchase date', 'Cost'],
    exportHeaders: 'Organisation,Asset tag,Serial number,Name,Model,Status,Location,Purchase date',
    inStock: 'In stock', badStatus: 'Lost', name: 'E2E laptop',
    error: 'Error', add: 'Add',
    badDate: 'is not a date', notOneOf: 'is not one of', repeated: (line) => `is already on line ${line} of this file`,
    notApplied: 'Nothing was imported: 3 rows have errors.',
    dryRun: `Checked ${ROWS} rows, nothing stored yet: ${ROWS} would be added, 0 changed, 0 unchanged.`,
    applied: `Imported ${ROWS} rows: ${ROWS} added, 0 changed, 0 unchanged.`,
    noAssets: 'No assets match',
    scanHeader: 'Tag or serial number',
    found: 'Found', unexpected: 'Unexpected', scannedBefore: 'Scanned before: nothing changed',
    scansSummary: 'Recorded 3 scans: 1 found, 0 moved, 1 unexpected, 1 scanned before.',
  },
};

/** The bad rows (1-based among the data rows; the sheet's line is one more, after the header). */
const BAD_DATE = 500;
const BAD_STATUS = 1500;
const REPEATED = 2500;
const REPEATS = 10;

const pad = (n) => String(n).padStart(5, '0');
/** The per-language serial numbers, so the two runs do not meet: SN-ZH-00001. */
const serialOf = (lang, n) => `SN-${WORDS[lang].tag.toUpperCase()}-${pad(n)}`;

/**
 * A CSV (UTF-8 with a BOM, headers in `lang`) of ROWS new assets; with `bad`, three rows are
 * wrong: a 30 February, a status nobody knows and a serial number repeated from an earlier row.
 * The tag column is left blank: each new asset gets its tag by the default rule from its
 * location, building 2, floor 5, room 02 → D020502-…
 */
function assetFile(lang, bad) {
  const w = WORDS[lang];
  const csv = (cells) => cells.map((c) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c)).join(',');
  const lines = [csv(w.headers)];
  for (let n = 1; n <= ROWS; n++) {
    let serial = serialOf(lang, n);
    let status = w.inStock;
    let date = `2026-03-${String((n % 28) + 1).padStart(2, '0')}`;
    if (bad && n === BAD_DATE) date = '2026-02-30';
    if (bad && n === BAD_STATUS) status = w.badStatus;
    if (bad && n === REPEATED) serial = serialOf(lang, REPEATS);
    lines.push(csv(['', serial, `${w.name} ${w.tag.toUpperCase()} ${pad(n)}`, 'ThinkPad T14', status, LOCATION, date, '5999.00']));
  }
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(lines.join('\r\n') + '\r\n', 'utf8')]);
}

/** The list's rows for a search. */
async function search(page, base, q) {
  await page.goto(`${base}/assets?q=${encodeURIComponent(q)}`);
  return page.locator('#asset-table tbody tr');
}

/** Chooses `file` in the import form and checks it; returns the milliseconds it took. */
async function check(page, name, buffer) {
  await page.setInputFiles('#import-file', { name, mimeType: 'text/csv', buffer });
  const t = Date.now();
  await submit(page, '#import-form button[type=submit]');
  return Date.now() - t;
}

async function importFlow(browser, base, lang) {
  const w = WORDS[lang];
  const start = Date.now();
  const page = await signIn(browser, base, 'lin.na', lang);
  await page.goto(`${base}/assets`);
  await submit(page, '#link-import');
  assert.match(page.url(), /\/assets\/import$/);
  await page.selectOption('#import-tenant', { label: '华东医院 East China Hospital' });

  // The file with three bad rows: every row has its verdict, the three errors name their line,
  // cell and reason, and nothing is stored.
  const took = await check(page, `assets-${w.tag}-bad.csv`, assetFile(lang, true));
  const timings = [`check with errors ${took} ms`];
  assert.equal(await page.locator('#import-apply').count(), 0, 'a file with errors cannot be applied');
  assert.ok((await page.textContent('#import-summary')).includes(w.notApplied), await page.textContent('#import-summary'));
  // The rows in error come first, on their own; then the rows in file order, the first 2,000
  // of them, folded away while there are errors.
  const errors = page.locator('#import-error-rows tbody tr');
  assert.equal(await errors.count(), 3);
  assert.equal(await page.locator('#import-rows tbody tr').count(), Math.min(ROWS, 2000));
  assert.equal(await page.locator('#import-more').count(), ROWS > 2000 ? 1 : 0);
  assert.equal(await page.locator('#import-all[open]').count(), 0, 'every row is folded away while there are errors');
  const cells = await errors.evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((td) => td.textContent.trim())));
  const expect = [
    [BAD_DATE + 1, `G${BAD_DATE + 1} (${w.headers[6]})`, ['2026-02-30', w.badDate]],
    [BAD_STATUS + 1, `E${BAD_STATUS + 1} (${w.headers[4]})`, [w.badStatus, w.notOneOf, '在库 In stock']],
    [REPEATED + 1, `B${REPEATED + 1} (${w.headers[1]})`, [serialOf(lang, REPEATS), w.repeated(REPEATS + 1)]],
  ];
  expect.forEach(([line, cell, words], i) => {
    const [l, verdict, , detail] = cells[i];
    assert.equal(l, String(line), `error ${i + 1} is on line ${line}`);
    assert.equal(verdict, w.error);
    assert.ok(detail.startsWith(`${cell}: `), `line ${line} names ${cell}: ${detail}`);
    for (const word of words) assert.ok(detail.includes(word), `line ${line} says ${word}: ${detail}`);
  });
  await noOverflow(page, 'the import report');
  let t = Date.now();
  await shot(page, `asset-import-errors-${w.tag}`);
  timings.push(`screenshot ${Date.now() - t} ms`);
  assert.equal(await (await search(page, base, serialOf(lang, 1))).count(), 0, 'the check stored nothing');
  assert.ok((await page.textContent('main')).includes(w.noAssets));

  // The corrected file: a clean check, then the import.
  await page.goto(`${base}/assets/import`);
  await page.selectOption('#import-tenant', { label: '华东医院 East China Hospital' });
  timings.push(`clean check ${await check(page, `assets-${w.tag}.csv`, assetFile(lang, false))} ms`);
  assert.equal((await page.textContent('#import-summary p')).trim(), w.dryRun);
  assert.equal(await page.locator('#import-rows tbody tr.verdict-error').count(), 0);
  t = Date.now();
  await submit(page, '#import-apply button[type=submit]');
  timings.push(`apply ${Date.now() - t} ms`);
  assert.equal((await page.textContent('#import-summary p')).trim(), w.applied);
  assert.equal(await page.locator('#import-apply').count(), 0, 'nothing left to apply');
  assert.equal(await page.locator('#import-rows tbody tr.verdict-insert').first().locator('td').nth(1).textContent(), w.add);
  await noOverflow(page, 'the import summary');

  // An imported asset is found by its serial number, with its tag and status.
  const found = await search(page, base, serialOf(lang, BAD_STATUS));
  assert.equal(await found.count(), 1);
  assert.match((await found.locator('td').first().textContent()).trim(), /^D020502-\d{3,}$/, 'a tag by the rule');
  assert.equal(await found.locator('[data-status]').getAttribute('data-status'), 'in_stock');
  await shot(page, `asset-import-found-${w.tag}`);

  // The list's CSV export: UTF-8 with a BOM, headers in the page's language, the new assets.
  await page.goto(`${base}/assets`);
  t = Date.now();
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#link-export-csv')]);
  const bytes = await readFile(await download.path());
  timings.push(`export ${Date.now() - t} ms`);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the export starts with a UTF-8 BOM');
  const text = bytes.subarray(3).toString('utf8');
  assert.ok(text.startsWith(w.exportHeaders), `the export's headers: ${text.slice(0, 120)}`);
  assert.match(text, new RegExp(`,D020502-\\d{3,},${serialOf(lang, ROWS)},`), 'the export has the imported assets, with their tags');
  assert.match(download.suggestedFilename(), /\.csv$/);
  await page.context().close();
  timings.push(`in all ${Date.now() - start} ms`);
  return timings;
}

/** A file of three scans to the open stock-take: a tag not yet scanned, it again, and a stranger. */
async function scansFlow(browser, base, lang) {
  const w = WORDS[lang];
  const page = await signIn(browser, base, 'lin.na', lang);
  await page.goto(`${base}/stock-takes`);
  await submit(page, '#stock-take-table tbody a');
  assert.equal(await page.getAttribute('#stock-take-status', 'data-status'), 'open');
  const count = async (k) => Number(await page.textContent(`#counts [data-count=${k}]`));
  const before = { found: await count('found'), pending: await count('pending'), unexpected: await count('unexpected') };
  const known = await page.locator('#stock-take-items tr[data-outcome=pending]').first().getAttribute('data-code');
  const stranger = `X-E2E-FILE-${w.tag.toUpperCase()}`;
  const file = `\ufeff${w.scanHeader}\r\n${known}\r\n${known}\r\n${stranger}\r\n`;
  await page.setInputFiles('#scan-file', { name: `scans-${w.tag}.csv`, mimeType: 'text/csv', buffer: Buffer.from(file, 'utf8') });
  await submit(page, '#scan-file-submit');

  assert.equal((await page.textContent('#scan-file-summary')).trim(), w.scansSummary);
  const lines = page.locator('#scan-file-lines tbody tr');
  assert.equal(await lines.count(), 3);
  const rows = await lines.evaluateAll((trs) => trs.map((tr) => ({
    line: tr.dataset.line, outcome: tr.dataset.outcome, repeat: tr.dataset.repeat ?? null,
    cells: [...tr.cells].map((td) => td.textContent.trim()),
  })));
  assert.deepEqual(rows, [
    { line: '2', outcome: 'found', repeat: null, cells: ['2', known, w.found] },
    { line: '3', outcome: 'found', repeat: '1', cells: ['3', known, `${w.found} · ${w.scannedBefore}`] },
    { line: '4', outcome: 'unexpected', repeat: null, cells: ['4', stranger, w.unexpected] },
  ]);
  assert.equal(await count('found'), before.found + 1);
  assert.equal(await count('pending'), before.pending - 1);
  assert.equal(await count('unexpected'), before.unexpected + 1);
  assert.equal(await page.getAttribute(`#stock-take-items tr[data-code="${known}"]`, 'data-outcome'), 'found');
  assert.equal(await page.getAttribute(`#stock-take-items tr[data-code="${stranger}"]`, 'data-outcome'), 'unexpected');
  await noOverflow(page, 'the stock-take page with the file report');
  await shot(page, `stocktake-scans-${w.tag}`);
  await page.context().close();
}

describe('asset import and export on the embedded store', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test(`the asset manager checks ${ROWS} new assets (three bad rows reported, nothing stored), imports the corrected file and exports the list, in both languages`, async (t) => {
    for (const lang of ['zh-CN', 'en']) {
      const timings = await importFlow(browser, server.base, lang);
      t.diagnostic(`${lang}: ${timings.join(', ')}`);
    }
  });

  test('she sends the open stock-take a file of scans: found, scanned before and unexpected, in both languages', async () => {
    for (const lang of ['zh-CN', 'en']) await scansFlow(browser, server.base, lang);
  });
});
