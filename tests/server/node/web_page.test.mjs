// The chat page at GET / of `plinth serve`, in Debian's headless Chromium driven by playwright-core
// (never a downloaded browser): type a message, watch the reply stream in, press Stop mid-reply.
// A screenshot goes to $PLINTH_TEST_ARTIFACTS (default: the system's temp folder).
//
//   (cd tests/server/node && npm ci) && node --test tests/server/node/web_page.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { cli, modelFile, startServer } from './plinth_server.mjs';

const browserPath = process.env.PLINTH_CHROMIUM ?? '/usr/bin/chromium';
const artifacts = process.env.PLINTH_TEST_ARTIFACTS ?? os.tmpdir();

// Random weights over the stories vocabulary: replies that run on (no early end-of-text) and take
// long enough to be stopped.
const slowModel = path.join(os.tmpdir(), `plinth-web-test-${process.pid}.gguf`);

describe('the chat page in a headless browser', { skip: !existsSync(browserPath) && `no browser at ${browserPath}` }, () => {
  let server, browser;
  before(async () => {
    execFileSync(cli, ['make-model', slowModel, '--embd', '512', '--layers', '8', '--heads', '8', '--ffn', '1408',
      '--type', 'Q8_0', '--vocab-from', modelFile], { stdio: 'ignore' });
    server = await startServer(['-c', '4096']);
    browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
  }, { timeout: 120_000 });
  after(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(slowModel, { force: true });
  });

  test('GET / is the page, with the headers a page needs', async () => {
    const r = await fetch(server.url + '/');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^text\/html; charset=utf-8/);
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    assert.match(r.headers.get('content-security-policy'), /connect-src 'self'/);
    assert.match(await r.text(), /<title>plinth chat<\/title>/);
  });

  test('a reply streams in, and Stop ends it mid-reply', { timeout: 120_000 }, async () => {
    await server.stop();
    server = await startServer(['-c', '4096'], slowModel);
    const page = await browser.newPage();
    await page.goto(server.url + '/');
    await page.waitForFunction(() => document.getElementById('model').textContent.includes('context 4096'));
    await page.click('#settings-button');
    await page.fill('#max-tokens', '3000');
    await page.dispatchEvent('#max-tokens', 'change');
    // The random-weight model can sample its end-of-text token at any step: a reply that ends on
    // its own between the last check and the click (a busy machine widens that moment) is not a
    // failed Stop, so the test asks again, a few times at most.
    let reply;
    for (let attempt = 1; ; ++attempt) {
      await page.fill('#input', 'Once upon a time');
      await page.press('#input', 'Enter');
      reply = page.locator('.msg.assistant').last();
      const body = reply.locator('.body');
      // Streaming: some text, then more text, while the reply is still open.
      await page.waitForFunction((el) => el.textContent.length > 0, await body.elementHandle());
      const first = await body.textContent();
      await page.waitForFunction(([el, n]) => el.textContent.length > n || el.closest('.msg').dataset.state !== 'streaming',
                                 [await body.elementHandle(), first.length]);
      if ((await reply.getAttribute('data-state')) === 'streaming') {
        assert.equal(await page.isDisabled('#stop'), false);
        // force: the reply may end on its own between that check and this click, and then the
        // button is disabled again; a forced click on it does nothing and the loop asks again,
        // where an ordinary click would wait for it to be enabled until the test times out.
        await page.click('#stop', { force: true });
      }
      await page.waitForFunction((el) => el.dataset.state !== 'streaming', await reply.elementHandle());
      if ((await reply.getAttribute('data-state')) === 'stopped') break;
      assert.ok(attempt < 3, 'three replies in a row ended on their own before Stop');
    }
    const stopped = await reply.locator('.body').textContent();
    await page.waitForTimeout(700);
    assert.equal(await reply.locator('.body').textContent(), stopped);  // nothing arrives after Stop
    assert.match(await reply.locator('.stats').textContent(), /stopped/);
    assert.equal(await page.isDisabled('#send'), false);
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: path.join(artifacts, 'chat-page.png'), fullPage: true });
    await page.close();
  });

  test('a server with an API key: the page asks for it, then works', { timeout: 60_000 }, async () => {
    await server.stop();
    server = await startServer(['--api-key', 'secret']);
    const page = await browser.newPage();
    await page.goto(server.url + '/');
    await page.waitForFunction(() => document.getElementById('error').textContent.includes('API key'));
    await page.fill('#api-key', 'secret');
    await page.dispatchEvent('#api-key', 'change');
    await page.waitForFunction(() => document.getElementById('model').textContent.includes('context'));
    await page.fill('#input', 'Once upon a time');
    await page.press('#input', 'Enter');
    await page.waitForSelector('.msg.assistant[data-state="done"]');
    assert.ok((await page.textContent('.msg.assistant .body')).length > 0);
    await page.close();
  });
});
