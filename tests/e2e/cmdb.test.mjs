// The CMDB and the asset register in a real browser against a real `yunwei serve --demo`, in
// both languages: the configuration manager searches, opens the core switch and its impact
// picture, creates a server (a bad IP address first) and relates it; a client's IT contact sees
// only his own CIs (linked in his navigation); an end user finds her devices under My devices
// and reports a problem with one from there; an end user reports a fault on her own PC and the agent sees it on the
// ticket; the asset manager moves an asset through its lifecycle and scans a tag in the open
// stock-take (also at phone width); a stored-XSS CI name stays text. Once more on PostgreSQL.
// Screenshots of the main pages go to screenshots/ (cmdb-*, assets-*, stocktake*, pg-cmdb-*).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launchBrowser, login, newPage, noOverflow, shot, shots, signIn, startServer, submit } from './lib.mjs';

const XSS = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2">';

/** The words the pages use, per language. */
const WORDS = {
  'zh-CN': {
    notFound: '找不到该页面', businessService: '业务服务', server: '服务器', myDevices: '涉及您的哪台设备？',
    devicesTitle: '我的设备',
    tag: 'zh',
  },
  en: {
    notFound: 'Page not found', businessService: 'Business service', server: 'Server', myDevices: 'Which of your devices is it about?',
    devicesTitle: 'My devices',
    tag: 'en',
  },
};

/** Saves a screenshot of one element as screenshots/NAME.png. */
async function shotOf(locator, name) {
  await locator.screenshot({ path: join(shots, `${name}.png`) });
}

/** The id of the first CI the list finds for `q`. */
async function findCi(page, base, q) {
  await page.goto(`${base}/cmdb?q=${encodeURIComponent(q)}`);
  assert.ok((await page.locator('#ci-list tbody a').count()) > 0, `the CMDB finds ${q}`);
  const href = await page.locator('#ci-list tbody a').first().getAttribute('href');
  return Number(href.split('/').pop());
}

/** Flow 1: search, the core switch's page, its impact picture and an "N more" box. */
async function impactFlow(browser, base, lang, prefix) {
  const w = WORDS[lang];
  const page = await signIn(browser, base, 'zhou.jie', lang);
  await page.goto(`${base}/cmdb`);
  assert.ok((await page.locator('#ci-list tbody tr').count()) > 10, 'the CMDB lists CIs');
  await shot(page, `${prefix}-list-${w.tag}`);
  await noOverflow(page, 'the CMDB list');

  await page.fill('#ci-filters input[name=q]', 'core-sw-01');
  await submit(page, '#ci-filters button[type=submit]');
  const rows = page.locator('#ci-list tbody tr');
  assert.equal(await rows.count(), 1, 'the hostname finds exactly the core switch');
  assert.ok((await rows.first().textContent()).includes('核心交换机 Core switch 01'));
  await shot(page, `${prefix}-search-${w.tag}`);

  await submit(page, '#ci-list tbody a');
  assert.equal(await page.textContent('#ci-name'), '核心交换机 Core switch 01');
  assert.ok((await page.textContent('#ci-attributes')).includes('core-sw-01'));
  assert.ok((await page.locator('#ci-relations a[href^="/cmdb/"]').count()) > 3, 'the switch has relationships');
  const id = Number(page.url().split('/').pop());
  await shot(page, `${prefix}-ci-switch-${w.tag}`);
  await noOverflow(page, 'the core switch page');

  await submit(page, '#impact-down');
  assert.match(page.url(), new RegExp(`/cmdb/${id}/impact\\?direction=down`));
  await page.goto(`${base}/cmdb/${id}/impact?direction=down&depth=6`);
  const svg = page.locator('svg#impact-picture');
  const nodes = await svg.locator('a.impact-node').count();
  assert.ok(nodes >= 20, `the picture has ${nodes} nodes`);
  const start = svg.locator('a.impact-node.start');
  assert.equal(await start.count(), 1);
  assert.equal(await start.locator('title').textContent(), '核心交换机 Core switch 01');
  assert.ok((await start.locator('text').nth(1).textContent()).startsWith('核心交换机'), 'the start box shows its name');
  assert.equal(await start.getAttribute('href'), `/cmdb/${id}`);
  // Every box's name fits inside its box (no label runs over the edge).
  const spill = await svg.evaluate((s) => {
    const out = [];
    for (const a of s.querySelectorAll('a.impact-node')) {
      const rect = a.querySelector('rect').getBBox();
      const name = a.querySelectorAll('text')[a.classList.contains('start') ? 1 : 0].getBBox();
      if (name.x + name.width > rect.x + rect.width + 0.5) out.push(a.querySelector('title').textContent);
    }
    return out;
  });
  assert.deepEqual(spill, [], 'names spilling out of their boxes');
  const affected = page.locator('#affected tbody');
  assert.ok((await affected.textContent()).includes(w.businessService), 'a business service is among the affected');
  assert.ok((await page.textContent('#affected-tenants')).includes('华东医院'));
  await shot(page, `${prefix}-impact-${w.tag}`);
  await shotOf(page.locator('.impact-wrap'), `${prefix}-impact-picture-${w.tag}`);
  await noOverflow(page, 'the impact page');

  // An "N more" box expands its group.
  const more = svg.locator('a.impact-node.more');
  if (await more.count()) {
    const before = nodes;
    const href = await more.first().getAttribute('href');
    assert.match(href, /expand=/);
    await page.goto(base + href);
    const after = await page.locator('svg#impact-picture a.impact-node').count();
    assert.ok(after > before, `expanding shows more boxes (${before} → ${after})`);
    assert.equal(await page.locator(`svg#impact-picture a.impact-node[href="${href}"]`).count(), 0, 'the group is open');
    await shotOf(page.locator('.impact-wrap'), `${prefix}-impact-picture-expanded-${w.tag}`);
    await shot(page, `${prefix}-impact-expanded-${w.tag}`);
  }

  // The other direction: what the switch depends on.
  await page.goto(`${base}/cmdb/${id}/impact?direction=up&depth=6`);
  assert.ok((await page.locator('svg#impact-picture a.impact-node').count()) >= 2);
  await shot(page, `${prefix}-impact-up-${w.tag}`);
  await page.context().close();
  return id;
}

/** Flow 2: a new server, refused for a bad IP address then created, related to the core switch. */
async function createServerFlow(browser, base, lang, prefix, n) {
  const w = WORDS[lang];
  const page = await signIn(browser, base, 'zhou.jie', lang);
  await page.goto(`${base}/cmdb`);
  await submit(page, '#new-ci');
  await shot(page, `${prefix}-new-class-${w.tag}`);
  await page.selectOption('#class-choice select[name=class]', 'server');
  await submit(page, '#class-choice button');
  assert.match(page.url(), /\/cmdb\/new\?class=server/);

  const name = lang === 'en' ? `Billing server ${n} (e2e)` : `计费服务器 ${n}（端到端测试）`;
  const host = `e2e-bill-${n}`;
  await page.selectOption('#ci-form select[name=tenant_id]', { label: '星辰物流 Stellar Logistics' });
  await page.fill('#ci-form input[name=name]', name);
  await page.fill('#ci-form input[name="attr.hostname"]', host);
  await page.selectOption('#ci-form select[name="attr.os"]', 'linux');
  await page.fill('#ci-form input[name="attr.cpu_cores"]', '32');
  await page.fill('#ci-form input[name="attr.ip_addresses"]', '10.20.1.300');
  await submit(page, '#ci-form button.primary');

  // Refused beside the field, with everything typed still there.
  const err = page.locator('#err-attr-ip_addresses');
  assert.ok(await err.isVisible(), 'the IP address is refused beside its field');
  const nextToField = await page.locator('label:has(input[name="attr.ip_addresses"]) + p.field-error').count();
  assert.equal(nextToField, 1, 'the refusal follows the IP field');
  assert.ok((await err.textContent()).includes('10.20.1.300'), 'the refusal names the bad address');
  assert.equal(await page.inputValue('#ci-form input[name=name]'), name);
  assert.equal(await page.inputValue('#ci-form input[name="attr.hostname"]'), host);
  assert.equal(await page.inputValue('#ci-form input[name="attr.cpu_cores"]'), '32');
  assert.equal(await page.inputValue('#ci-form select[name="attr.os"]'), 'linux');
  assert.equal(await page.inputValue('#ci-form input[name="attr.ip_addresses"]'), '10.20.1.300');
  assert.equal(await page.locator('#ci-form select[name=tenant_id] option:checked').textContent(), '星辰物流 Stellar Logistics');
  await shot(page, `${prefix}-new-refused-${w.tag}`);

  await page.fill('#ci-form input[name="attr.ip_addresses"]', '10.20.1.30, 10.20.1.31');
  await submit(page, '#ci-form button.primary');
  assert.match(page.url(), /\/cmdb\/\d+$/);
  assert.equal(await page.textContent('#ci-name'), name);
  const attrs = await page.textContent('#ci-attributes');
  assert.ok(attrs.includes(host) && attrs.includes('10.20.1.30'), attrs);
  const id = Number(page.url().split('/').pop());

  // Related to the core switch, found by its hostname.
  await page.click('#ci-relations details.action > summary');
  await page.selectOption('#relation-form select[name=kind]', 'out:connects_to');
  await page.fill('#relation-form input[name=target]', 'core-sw-01');
  await submit(page, '#relation-form button.primary');
  assert.equal(await page.locator('#relation-error, #err-kind, #err-target').count(), 0, 'the relationship is accepted');
  assert.ok((await page.textContent('#outgoing')).includes('核心交换机 Core switch 01'));

  // The history tells both.
  const events = page.locator('#ci-history li.event');
  assert.ok((await events.count()) >= 2, 'created and related are in the history');
  assert.ok((await page.textContent('#ci-history')).includes('核心交换机 Core switch 01'));
  await shot(page, `${prefix}-ci-new-server-${w.tag}`);
  await noOverflow(page, 'the new server page');

  // The switch sees it from its side.
  await page.goto(`${base}/cmdb/${await findCi(page, base, 'core-sw-01')}`);
  assert.ok((await page.textContent('#incoming')).includes(name));
  await page.context().close();
  return { id, name };
}

describe('CMDB and assets on the embedded store', () => {
  let server;
  let browser;
  let switchId;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the configuration manager finds the core switch and what depends on it, in both languages', async () => {
    for (const lang of ['zh-CN', 'en']) switchId = await impactFlow(browser, server.base, lang, 'cmdb');
  });

  test('he creates a server (a bad IP address is refused first) and relates it to the core switch', async () => {
    let n = 1;
    for (const lang of ['zh-CN', 'en']) await createServerFlow(browser, server.base, lang, 'cmdb', n++);
    // The class administration page, in both languages.
    for (const lang of ['zh-CN', 'en']) {
      const page = await signIn(browser, server.base, 'admin', lang);
      await page.goto(`${server.base}/admin/cmdb/classes`);
      assert.ok((await page.textContent('main')).includes(WORDS[lang].server));
      await shot(page, `cmdb-admin-classes-${WORDS[lang].tag}`);
      await page.context().close();
    }
  });

  test("a client's IT contact sees only his company's CIs, and a hospital CI is a 404", async () => {
    const staff = await newPage(browser, 'zh-CN');
    await login(staff, server.base, 'zhou.jie');
    const hospitalCi = await findCi(staff, server.base, '门诊挂号');
    await staff.context().close();

    for (const lang of ['zh-CN', 'en']) {
      const w = WORDS[lang];
      const page = await signIn(browser, server.base, 'he.ping', lang);
      await submit(page, '#nav-cmdb');
      assert.ok(page.url().endsWith('/cmdb'), 'the navigation links his CMDB');
      const list = await page.textContent('#ci-list tbody');
      assert.ok(list.includes('星辰物流'), 'Stellar CIs are listed');
      for (const word of ['华东医院', 'HIS', '门诊']) assert.ok(!list.includes(word), `no hospital CI (${word}) in the list`);
      for (const t of await page.locator('#ci-list tbody td:nth-child(3)').allTextContents()) {
        assert.ok(t.includes('星辰物流'), `a row of ${t}`);
      }
      const offered = await page.locator('#ci-filters select[name=tenant] option').allTextContents();
      assert.ok(!offered.some((t) => t.includes('华东医院')), `the organisation filter offers ${offered}`);
      await shot(page, `cmdb-client-list-${w.tag}`);
      await page.goto(`${server.base}/cmdb?q=${encodeURIComponent('门诊')}`);
      assert.equal(await page.locator('#ci-list tbody tr').count(), 0, 'searching finds no hospital CI');
      const res = await page.goto(`${server.base}/cmdb/${hospitalCi}`);
      assert.equal(res.status(), 404);
      assert.ok((await page.textContent('h1')).includes(w.notFound));
      assert.ok(!(await page.content()).includes('门诊挂号'));
      await shot(page, `cmdb-client-404-${w.tag}`);
      const impact = await page.goto(`${server.base}/cmdb/${hospitalCi}/impact?direction=down`);
      assert.equal(impact.status(), 404);
      // His own server's impact, both ways, names nothing of the hospital (they share the core).
      const own = await findCi(page, server.base, 'st-esx-01');
      for (const direction of ['down', 'up']) {
        const res = await page.goto(`${server.base}/cmdb/${own}/impact?direction=${direction}&depth=6`);
        assert.equal(res.status(), 200);
        const html = await page.content();
        for (const word of ['华东医院', 'HIS', '门诊', 'hs-app']) assert.ok(!html.includes(word), `${direction}: ${word} shows`);
      }
      await shot(page, `cmdb-client-impact-${w.tag}`);
      await page.context().close();
    }
  });

  test('an end user reports a fault on her own PC and the agent sees it on the ticket', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const w = WORDS[lang];
      const user = await signIn(browser, server.base, 'chen.jing', lang);
      await user.goto(`${server.base}/portal/new`);
      const devices = user.locator('#my-devices');
      assert.ok((await devices.locator('legend').textContent()).includes(w.myDevices));
      const first = devices.locator('label.option').first();
      const pc = (await first.locator('span').textContent()).trim();
      await first.locator('input[type=checkbox]').check();
      await user.check('input[name=type][value=incident]');
      await user.selectOption('select[name=category_id]', { index: 1 });
      const title = lang === 'en' ? 'My PC does not start any more (e2e)' : '我的电脑开不了机（端到端测试）';
      await user.fill('input[name=title]', title);
      await user.fill('textarea[name=description]', lang === 'en' ? 'The power light blinks orange.' : '电源灯闪橙色。');
      await shot(user, `cmdb-portal-my-devices-${w.tag}`);
      await submit(user, '#new-ticket button[type=submit]');
      assert.equal(await user.textContent('h1.ticket-title'), title);
      const number = (await user.textContent('.ticket-number')).split('·')[0].trim();
      await user.context().close();

      const agent = await signIn(browser, server.base, 'wang.fang', lang);
      await agent.goto(`${server.base}/console/tickets/${number}`);
      const cis = agent.locator('#cis');
      assert.ok((await cis.textContent()).includes(pc), `${pc} is on the ticket`);
      assert.equal(await cis.locator('input[type=checkbox]:checked').count(), 1);
      assert.ok(await cis.locator('input[name=add]').isVisible(), 'a CI can be added');
      await shot(agent, `cmdb-console-ticket-cis-${w.tag}`);
      await shotOf(cis, `cmdb-console-ticket-cis-section-${w.tag}`);
      // The PC's page lists the ticket among its open work.
      await submit(agent, '#cis a[href^="/cmdb/"]');
      assert.ok((await agent.textContent('#ci-work')).includes(number));
      await shot(agent, `cmdb-ci-pc-${w.tag}`);
      await agent.context().close();
    }
  });

  test('an end user finds her devices under My devices and reports a problem with one', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const w = WORDS[lang];
      const user = await signIn(browser, server.base, 'chen.jing', lang);
      await submit(user, '#nav-my-devices');
      assert.equal(await user.textContent('h1'), w.devicesTitle);
      assert.ok((await user.locator('#my-assets tbody tr').count()) > 0, 'her assets are listed');
      assert.ok((await user.locator('#my-cis tbody tr').count()) > 0, 'her CIs are listed');
      await shot(user, `portal-my-devices-${w.tag}`);
      await noOverflow(user, 'My devices');
      const row = user.locator('#my-cis tbody tr').first();
      const id = (await row.getAttribute('id')).replace('my-ci-', '');
      await submit(user, `#my-ci-${id} a.report`);
      assert.ok(user.url().endsWith(`/portal/new?ci=${id}`), user.url());
      assert.ok(await user.isChecked(`#my-devices input[name=ci${id}]`), 'the device is ticked');
      assert.equal(await user.locator('#my-devices input:checked').count(), 1, 'and only that one');
      await user.setViewportSize({ width: 390, height: 844 });
      await user.goBack();
      await noOverflow(user, 'My devices on a phone');
      await shot(user, `portal-my-devices-phone-${w.tag}`);
      await user.context().close();
    }
  });

  test('the asset manager moves an asset through its lifecycle and scans a tag in the open stock-take', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const w = WORDS[lang];
      const page = await signIn(browser, server.base, 'lin.na', lang);
      await page.goto(`${server.base}/assets`);
      assert.ok((await page.locator('#asset-table tbody tr').count()) > 10);
      assert.match(await page.textContent('#asset-table tbody'), /D\d{6}-\d{3}/);
      await shot(page, `assets-list-${w.tag}`);
      await noOverflow(page, 'the asset list');

      // A spare in stock offers only the legal moves: deploy, repair, retire.
      await page.selectOption('#asset-filters select[name=status]', 'in_stock');
      await submit(page, '#asset-filters button[type=submit]');
      await submit(page, '#asset-table tbody tr:first-child td:first-child a');
      assert.equal(await page.getAttribute('#asset-status', 'data-status'), 'in_stock');
      const offered = async () => (await page.locator('#lifecycle button').evaluateAll((bs) => bs.map((b) => b.id))).sort();
      assert.deepEqual(await offered(), ['move-deployed', 'move-in_repair', 'move-retired']);
      await shot(page, `assets-page-${w.tag}`);
      await submit(page, '#move-in_repair');
      assert.equal(await page.getAttribute('#asset-status', 'data-status'), 'in_repair');
      assert.deepEqual(await offered(), ['move-deployed', 'move-in_stock', 'move-retired']);
      assert.equal(await page.locator('#asset-history li[data-kind]').first().getAttribute('data-kind'), 'transition');
      await shot(page, `assets-page-moved-${w.tag}`);

      // The open stock-take at the hospital: scanning a pending tag finds it.
      await page.goto(`${server.base}/stock-takes`);
      await shot(page, `stocktakes-list-${w.tag}`);
      await submit(page, '#stock-take-table tbody a');
      assert.equal(await page.getAttribute('#stock-take-status', 'data-status'), 'open');
      const count = async (k) => Number(await page.textContent(`#counts [data-count=${k}]`));
      const found = await count('found');
      const pending = await count('pending');
      const code = await page.locator('#stock-take-items tr[data-outcome=pending]').first().getAttribute('data-code');
      await page.fill('#scan-code', code);
      await submit(page, '#scan-submit');
      assert.equal(await count('found'), found + 1);
      assert.equal(await count('pending'), pending - 1);
      assert.equal(await page.getAttribute(`#stock-take-items tr[data-code="${code}"]`, 'data-outcome'), 'found');
      // A code nobody knows is an unexpected item, not an error.
      const unexpected = await count('unexpected');
      await page.fill('#scan-code', `X-E2E-${w.tag.toUpperCase()}`);
      await submit(page, '#scan-submit');
      assert.equal(await count('unexpected'), unexpected + 1);
      assert.ok(await page.isVisible('.flash.warn'), 'an unknown tag is a warning, not a success');
      await shot(page, `stocktake-page-${w.tag}`);
      await noOverflow(page, 'the stock-take page');

      // At phone width, as on the scanner.
      await page.setViewportSize({ width: 390, height: 844 });
      await page.reload();
      await noOverflow(page, 'the stock-take page on a phone');
      await shot(page, `stocktake-phone-${w.tag}`);
      await page.context().close();
    }
  });

  test('a stored XSS attempt in a CI name is shown as text in the list, the page and the picture', async () => {
    const page = await signIn(browser, server.base, 'zhou.jie', 'zh-CN');
    await page.goto(`${server.base}/cmdb/new?class=server`);
    await page.selectOption('#ci-form select[name=tenant_id]', { label: '星辰物流 Stellar Logistics' });
    await page.fill('#ci-form input[name=name]', XSS);
    await page.fill('#ci-form input[name="attr.hostname"]', 'e2e-xss');
    await submit(page, '#ci-form button.primary');
    assert.equal(await page.textContent('#ci-name'), XSS);
    const xssId = Number(page.url().split('/').pop());
    await page.click('#ci-relations details.action > summary');
    await page.selectOption('#relation-form select[name=kind]', 'out:connects_to');
    await page.fill('#relation-form input[name=target]', `#${switchId}`);
    await submit(page, '#relation-form button.primary');
    const check = async () => {
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.equal(await page.locator('img[src=x]').count(), 0);
      assert.equal(await page.locator('main script').count(), 0);
    };
    await check();
    await shot(page, 'cmdb-xss-ci');
    await page.goto(`${server.base}/cmdb?q=${encodeURIComponent('window.__xss')}`);
    assert.equal((await page.textContent('#ci-list tbody a')).trim(), XSS);
    await check();
    // Its own picture starts from it; the switch's lists it among what the switch carries.
    await page.goto(`${server.base}/cmdb/${xssId}/impact?direction=up`);
    assert.equal(await page.locator('svg#impact-picture a.impact-node.start title').textContent(), XSS);
    const texts = await page.locator('svg#impact-picture a.impact-node.start text').allTextContents();
    assert.ok(texts.some((t) => t.includes('<script>')), `the name is a text in the picture: ${texts}`);
    assert.equal(await page.locator('svg#impact-picture script, svg#impact-picture img, svg#impact-picture foreignObject').count(), 0);
    await check();
    await shot(page, 'cmdb-xss-impact');
    await page.goto(`${server.base}/cmdb/${switchId}/impact?direction=down&depth=1`);
    assert.ok((await page.textContent('#affected')).includes(XSS));
    await check();
    await page.context().close();
  });
});

describe('CMDB on PostgreSQL', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer({ postgres: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('search, impact and a new related server work the same', async () => {
    await impactFlow(browser, server.base, 'zh-CN', 'pg-cmdb');
    await createServerFlow(browser, server.base, 'zh-CN', 'pg-cmdb', 9);
  });
});
