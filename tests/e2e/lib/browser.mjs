// Debian's chromium, headless, driven by playwright-core (CHROMIUM overrides its path).
//
// Every answer hookd gives a page of this browser is checked against the OpenAPI description
// like the answers of lib/hookd.mjs's helpers (./openapi.mjs; answers a test made up with
// route.fulfill() aside): close() fails, after closing, with every answer that the document
// does not allow.
import { chromium } from 'playwright-core';

import { checkResponse } from './openapi.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

async function check(res, problems) {
  const url = new URL(res.url());
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return;
  // null for an answer that did not come over the network (route.fulfill(), the cache).
  if ((await res.serverAddr().catch(() => null)) === null) return;
  const headers = res.headers();
  let text = '';
  if (!(headers['content-type'] || '').startsWith('text/event-stream')) {
    try {
      text = await res.text();
    } catch {
      return; // the page went away, or the body was not kept (a redirect)
    }
  }
  try {
    checkResponse(res.request().method(), url.pathname + url.search, { status: res.status(), headers, text }, { listener: 'any' });
  } catch (err) {
    problems.push(`${err.message} (in the browser)`);
  }
}

/** A headless browser for a suite; close it in the suite's after(). */
export async function launchChromium() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  const pending = new Set();
  const problems = [];
  const watch = (target) => {
    target.on('response', (res) => {
      const p = check(res, problems).finally(() => pending.delete(p));
      pending.add(p);
    });
    return target;
  };
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  const close = browser.close.bind(browser);
  browser.newContext = async (...args) => watch(await newContext(...args));
  browser.newPage = async (...args) => watch(await newPage(...args));
  browser.close = async (...args) => {
    await Promise.allSettled([...pending]);
    await close(...args);
    if (problems.length) throw new Error(`hookd answered the browser outside its OpenAPI description:\n${problems.join('\n')}`);
  };
  return browser;
}
