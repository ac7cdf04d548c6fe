// VS Code in Chinese (code-server --locale zh-cn): the extension's command titles come from package.nls.zh-cn.json.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { Workbench } = require('../lib/workbench');

describe('Display language zh-cn', () => {
  const wb = new Workbench('zh-cn');
  before(async () => { await wb.start({ locale: 'zh-cn' }); });
  after(async () => { await wb.screenshot('f-end'); await wb.stop(); });

  it('(f) shows the Chinese title of the sign-in command in the command palette', async () => {
    const page = wb.page;
    // The server writes languagepacks.json once it has scanned the extensions; the first page may predate it.
    await page.reload();
    await page.waitForSelector('.activitybar [aria-label^="ModelScope"]', { timeout: 90000 });
    // The palette lists the commands known when it opens; right after start-up that can still be none of the
    // extension's ("No matching commands"), so reopen it until the entry shows, for up to a minute.
    const row = page.locator('.quick-input-list .monaco-list-row', { hasText: '登录 ModelScope' }).first();
    const deadline = Date.now() + 60000;
    for (;;) {
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: 15000 });
      await input.fill('>ModelScope');
      try {
        await row.waitFor({ state: 'visible', timeout: 10000 });
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
    await wb.screenshot('f-command-palette');
    assert.match(await row.innerText(), /登录 ModelScope/);
  });
});
