// The web UI in a real browser against a real `yunwei serve --demo`: the whole story of a
// fault in both languages (portal → unassigned queue → dispatch → reply and resolve →
// confirm and rate), the 404 page for someone else's ticket, a stored-XSS attempt rendered as
// text, once more on PostgreSQL, with screenshots of the main pages in screenshots/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSWORD, launchBrowser, login, logout, newPage, shot, signIn, startServer, submit } from './lib.mjs';

const XSS = '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=2">';

/** People of the demo, and the words the pages use, per language. */
const CAST = {
  'zh-CN': {
    user: 'chen.jing', agent: 'wang.fang', engineer: 'li.qiang', engineerName: '李强',
    category: '打印机', report: '我要报修', unassigned: '未分派', resolved: '已解决', closed: '已关闭',
    created: '工单已提交', thanks: '感谢您的评价', notFound: '找不到该页面', english: false, onSite: true,
  },
  en: {
    user: 'anna.berg', agent: 'emily.chen', engineer: 'li.qiang', engineerName: '李强',
    category: 'Printer', report: 'Report a problem', unassigned: 'Unassigned', resolved: 'Resolved', closed: 'Closed',
    created: 'Your ticket has been logged', thanks: 'Thank you for your feedback', notFound: 'Page not found', english: true, onSite: false,
  },
};

/**
 * The story of one fault; returns its number. `tag` names the screenshots.
 */
async function story(browser, base, lang, tag) {
  const c = CAST[lang];
  const title = lang === 'en'
    ? `Printer on floor 3 jams on every page (e2e ${tag})`
    : `三楼打印机每页都卡纸，无法打印（端到端测试 ${tag}）`;

  // What the dashboard counts over the last 30 days, read as a lead would.
  const dashboard = async () => {
    const p = await newPage(browser, lang);
    await login(p, base, c.agent);
    await p.goto(`${base}/console/dashboard`);
    const counts = { created: Number(await p.textContent('#created-total')), resolved: Number(await p.textContent('#resolved-total')) };
    await p.context().close();
    return counts;
  };
  const counted = await dashboard();

  // The end user reports the fault in the portal, in their browser's language.
  const user = await newPage(browser, lang);
  const started = Date.now();
  await login(user, base, c.user);
  assert.match(user.url(), /\/portal$/);
  assert.equal(await user.getAttribute('html', 'lang'), lang);
  await shot(user, `${tag}-portal-list`);
  await submit(user, '#report');
  await user.check('input[name=type][value=incident]');
  await user.selectOption('select[name=category_id]', { label: c.category });
  await user.selectOption('select[name=location_id]', { index: 1 });
  await user.fill('input[name=title]', title);
  await user.fill('textarea[name=description]', lang === 'en'
    ? 'Since this morning every print job jams after one page. The display shows error E-203.'
    : '从今天早上开始，每次打印一页就卡纸，屏幕显示错误 E-203。');
  await user.setInputFiles('input[name=file]', { name: lang === 'en' ? 'error-photo.txt' : '报错照片.txt', mimeType: 'text/plain', buffer: Buffer.from('E-203') });
  await shot(user, `${tag}-portal-new`);
  await submit(user, '#new-ticket button[type=submit]');
  assert.ok(Date.now() - started < 60_000, 'reported in under a minute');
  await user.waitForSelector('.flash.ok');
  assert.ok((await user.textContent('.flash.ok')).includes(c.created));
  assert.equal(await user.textContent('h1.ticket-title'), title);
  const number = (await user.textContent('.ticket-number')).split('·')[0].trim();
  assert.match(number, /^INC-\d{6}$/);

  // The service desk finds it in the unassigned queue and dispatches it to the engineer.
  const agent = await newPage(browser, lang);
  await login(agent, base, c.agent);
  assert.match(agent.url(), /\/console$/);
  await submit(agent, '#queue-unassigned');
  assert.ok((await agent.textContent('h1')).includes(c.unassigned));
  const row = agent.locator('tbody tr', { hasText: number });
  await row.waitFor();
  assert.ok((await row.textContent()).includes(title));
  await shot(agent, `${tag}-console-queue`);
  await submit(agent, `tbody a[href="/console/tickets/${number}"]`);
  const dispatch = agent.locator('#action-dispatch');
  if (!(await dispatch.evaluate((d) => d.open))) await agent.click('#action-dispatch > summary');
  await dispatch.locator('select[name=assign]').selectOption({ label: c.engineerName });
  await submit(agent, '#action-dispatch button.primary');
  assert.ok((await agent.textContent('#assignee')).includes(c.engineerName));
  // Its SLA clocks are on the ticket page, each with a status badge and a due time, and the
  // OLA clock of the group now holding it, with its history.
  await agent.locator('#sla-clocks .sla-clock[data-kind=response] [data-status]').waitFor();
  assert.ok(await agent.isVisible('#sla-clocks .sla-clock[data-kind=resolution] .sla-due time'));
  // (The desk's own OLA clock, met when it passed the ticket on, stays beside it.)
  const ola = agent.locator('#sla-clocks .sla-clock[data-kind=ola]').filter({ hasText: 'Desktop Support' });
  assert.equal((await ola.locator('[data-status]').getAttribute('data-status')), 'running');
  assert.ok((await ola.locator('.sla-group').textContent()).includes('Desktop Support'));
  await ola.locator('details.sla-history > summary').click();
  assert.ok(await ola.locator('li[data-event=started]').isVisible());
  await shot(agent, `${tag}-console-ticket-dispatched`);

  // The engineer replies and resolves it.
  const eng = await newPage(browser, lang);
  await login(eng, base, c.engineer);
  if (c.english && (await eng.getAttribute('html', 'lang')) !== 'en') {
    // Someone who used the console in Chinese switches to English, and it is remembered.
    await submit(eng, 'button[name=lang][value=en]');
    assert.equal(await eng.getAttribute('html', 'lang'), 'en');
  }
  await eng.goto(`${base}/console?queue=mine`);
  await submit(eng, `tbody a[href="/console/tickets/${number}"]`);
  if (c.onSite) {
    // At the hospital the engineer records the arrival on site: the on-site clock stops.
    await submit(eng, '#act-arrive');
    assert.equal(await eng.locator('.sla-clock[data-kind=on_site] [data-status]').getAttribute('data-status'), 'met');
    assert.equal(await eng.locator('#act-arrive').count(), 0);
  }
  const reply = lang === 'en' ? 'Cleared the paper path and replaced the pickup roller.' : '已清理纸路并更换搓纸轮。';
  await eng.fill('#comment-body', reply);
  await submit(eng, '#comment-submit');
  await eng.click('#action-resolve > summary');
  await eng.locator('#action-resolve select[name=code]').selectOption('solved');
  await eng.fill('#action-resolve textarea[name=notes]', lang === 'en' ? 'Pickup roller worn out; replaced.' : '搓纸轮磨损，已更换。');
  await submit(eng, '#action-resolve button.primary');
  assert.equal((await eng.textContent('#ticket-status')).trim(), c.resolved);
  await shot(eng, `${tag}-console-ticket-resolved`);

  // The end user sees the reply, confirms and rates.
  await user.goto(`${base}/portal/tickets/${number}`);
  assert.ok((await user.textContent('.timeline')).includes(reply));
  await shot(user, `${tag}-portal-ticket-resolved`);
  await submit(user, '#confirm');
  assert.equal((await user.textContent('#ticket-status')).trim(), c.closed);
  await user.click('label[for=score-4]');
  await user.fill('#rate textarea[name=comment]', lang === 'en' ? 'Quick and friendly, thank you.' : '处理很及时，谢谢！');
  await submit(user, '#rate-submit');
  assert.ok((await user.textContent('.flash.ok')).includes(c.thanks));
  assert.ok((await user.textContent('#rating')).includes('★★★★☆'));
  await shot(user, `${tag}-portal-ticket-rated`);
  // The attachment is there and downloads.
  const file = user.locator('.files a').first();
  const href = await file.getAttribute('href');
  const res = await user.request.get(base + href);
  assert.equal(res.status(), 200);
  assert.equal(await res.text(), 'E-203');

  // The dashboard counts it: one more created and one more resolved.
  const now = await dashboard();
  assert.deepEqual(now, { created: counted.created + 1, resolved: counted.resolved + 1 });

  for (const p of [user, agent, eng]) await p.context().close();
  return number;
}

describe('on the embedded store', () => {
  let server;
  let browser;
  const numbers = {};
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the login page speaks the browser language and shows up clean', async () => {
    for (const lang of ['zh-CN', 'en']) {
      const page = await newPage(browser, lang);
      await page.goto(`${server.base}/login`);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      await shot(page, `login-${lang}`);
      await page.context().close();
    }
  });

  test('a fault goes from the portal through the console and back, in Chinese', async () => {
    numbers.zh = await story(browser, server.base, 'zh-CN', 'zh');
  });

  test('a fault goes from the portal through the console and back, in English', async () => {
    numbers.en = await story(browser, server.base, 'en', 'en');
  });

  test("the top bar holds everyone's links on one line at 1366 px, in both languages", async () => {
    for (const lang of ['en', 'zh-CN']) {
      for (const who of ['admin', 'wang.fang', 'zhou.jie', CAST[lang].user]) {
        const page = await signIn(browser, server.base, who, lang);
        await page.goto(`${server.base}/`);
        const bar = await page.locator('header.topbar').boundingBox();
        assert.ok(bar.height < 70, `${who} in ${lang}: the top bar wraps (${bar.height}px)`);
        assert.ok(await page.locator('header.topbar .brand').getAttribute('aria-label'), 'the brand keeps its name');
        if (who === 'admin') await shot(page, `topbar-admin-${lang}`, { fullPage: false });
        await page.context().close();
      }
    }
  });

  test('a file over the upload limit is refused as it is chosen, and the reply text stays', async () => {
    for (const [lang, limit] of [['en', 'Attachments may be at most 10 MB.'], ['zh-CN', '附件不能超过 10 MB。']]) {
      const page = await signIn(browser, server.base, CAST[lang].user, lang);
      await page.goto(`${server.base}/portal/new`);
      assert.ok((await page.textContent('form[action="/portal/new"]')).includes(limit), 'the report form tells the limit');
      await page.fill('input[name=title]', `VPN drops every hour (${lang})`);
      await submit(page, 'form[action="/portal/new"] button.primary[type=submit]');
      const number = page.url().split('/').pop();
      assert.ok((await page.textContent('#reply-body ~ label .upload-limit')).includes(limit), 'the limit is shown before upload');
      await page.fill('#reply-body', 'Here is the log you asked for');
      const file = page.locator('#reply-body ~ label input[type=file]');
      await file.setInputFiles({ name: 'huge.log', mimeType: 'text/plain', buffer: Buffer.alloc(10 * 1024 * 1024 + 1, 120) });
      assert.equal(await file.evaluate((i) => i.validationMessage), limit);
      await page.click('#reply-submit');
      await page.waitForTimeout(300);
      assert.ok(page.url().endsWith(`/portal/tickets/${number}`), 'no request was sent');
      assert.ok(!(await page.content()).includes('Too large') && !(await page.content()).includes('文件过大'));
      assert.equal(await page.inputValue('#reply-body'), 'Here is the log you asked for');
      await shot(page, `upload-too-large-${lang}`, { fullPage: false });
      // A file within the limit is taken.
      await file.setInputFiles({ name: 'small.log', mimeType: 'text/plain', buffer: Buffer.from('ok') });
      assert.equal(await file.evaluate((i) => i.validationMessage), '');
      await page.context().close();
    }
  });

  test("an end user opening another user's ticket gets the 404 page", async () => {
    assert.ok(numbers.zh && numbers.en, 'the stories ran');
    const page = await newPage(browser, 'en');
    await login(page, server.base, CAST.en.user);
    const res = await page.goto(`${server.base}/portal/tickets/${numbers.zh}`);
    assert.equal(res.status(), 404);
    assert.ok((await page.textContent('h1')).includes(CAST.en.notFound));
    assert.ok(!(await page.content()).includes('E-203'));
    await shot(page, 'not-found-en');
    const console404 = await page.goto(`${server.base}/console/tickets/${numbers.zh}`);
    assert.equal(console404.status(), 404, 'no console for end users');
    await page.goto(`${server.base}/account`);
    await shot(page, 'account-en');
    await page.goto(`${server.base}/portal?show=all`);
    await shot(page, 'portal-list-all-en');
    await page.context().close();
  });

  test('people change their own password and are signed out everywhere else, in both languages', async () => {
    for (const [lang, who, done] of [['zh-CN', 'sun.li', '密码已修改'], ['en', 'raj.patel', 'Your password is changed']]) {
      const laptop = await newPage(browser, lang);
      const phone = await newPage(browser, lang);
      await login(laptop, server.base, who);
      await login(phone, server.base, who);
      await laptop.goto(`${server.base}/account`);
      await laptop.fill('#password input[name=current_password]', PASSWORD);
      await laptop.fill('#password input[name=new_password]', 'a new pass phrase');
      await laptop.fill('#password input[name=repeat_password]', 'a new pass phrase');
      await submit(laptop, '#password button.primary');
      assert.ok((await laptop.textContent('.flash')).includes(done));
      await shot(laptop, `account-password-${lang}`);
      // The other browser's session ended: the next page asks it to sign in.
      await phone.goto(`${server.base}/portal`);
      assert.ok(phone.url().includes('/login'), `still signed in at ${phone.url()}`);
      for (const p of [laptop, phone]) await p.context().close();
    }
  });

  test('a stored XSS attempt in a title and a reply is shown as text and never runs', async () => {
    const user = await newPage(browser, 'zh-CN');
    await login(user, server.base, 'zhao.lei');
    await user.goto(`${server.base}/portal/new`);
    await user.fill('input[name=title]', XSS);
    await user.fill('textarea[name=description]', XSS);
    await submit(user, '#new-ticket button[type=submit]');
    await user.fill('#reply-body', XSS);
    await submit(user, '#reply-submit');
    const number = (await user.textContent('.ticket-number')).split('·')[0].trim();
    for (const page of [user]) {
      assert.equal(await page.evaluate(() => window.__xss), undefined);
      assert.equal(await page.textContent('h1.ticket-title'), XSS);
      assert.equal(await page.locator('img[src=x]').count(), 0);
      assert.ok((await page.textContent('.timeline')).includes(XSS));
    }
    const agent = await newPage(browser, 'zh-CN');
    await login(agent, server.base, 'wang.fang');
    await agent.goto(`${server.base}/console?queue=all&q=${encodeURIComponent('window.__xss')}`);
    assert.ok((await agent.textContent('tbody')).includes(XSS));
    await agent.goto(`${server.base}/console/tickets/${number}`);
    assert.equal(await agent.evaluate(() => window.__xss), undefined);
    assert.equal(await agent.locator('img[src=x]').count(), 0);
    assert.equal(await agent.textContent('h1.ticket-title'), XSS);
    await shot(agent, 'xss-console-ticket');
    await user.context().close();
    await agent.context().close();
  });

  test('long Chinese and English text does not break the queue or the ticket page', async () => {
    const agent = await newPage(browser, 'zh-CN');
    await login(agent, server.base, 'wang.fang');
    await agent.goto(`${server.base}/console/new`);
    await agent.selectOption('select[name=requester_id]', { index: 1 });
    const long = '门诊楼三层收费处的发票打印机连续多次出现卡纸现象并且伴随异响'.repeat(4) + ' Supercalifragilisticexpialidocious-printer-queue-name-without-any-spaces-at-all';
    await agent.fill('input[name=title]', long.slice(0, 200));
    await agent.fill('textarea[name=description]', long.repeat(5));
    await submit(agent, '#log-call button[type=submit]');
    await shot(agent, 'long-text-console-ticket');
    const width = await agent.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 1366, `the page is ${width}px wide`);
    await agent.goto(`${server.base}/console?queue=all`);
    const qwidth = await agent.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(qwidth <= 1366, `the queue is ${qwidth}px wide`);
    await shot(agent, 'long-text-console-queue');
    await agent.goto(`${server.base}/console/new`);
    await shot(agent, 'console-log-call');
    await agent.context().close();
  });
});

describe('on PostgreSQL', () => {
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

  test('the same story works end to end', async () => {
    await story(browser, server.base, 'zh-CN', 'pg-zh');
  });
});
