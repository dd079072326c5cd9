// Inviting a client from the workstation, in Chromium against a real sync server: Clients →
// "Invite…" shows a link and its QR code; a phone trades the link's code for a token (POST
// /api/join, as the trainee app does); the roster then says the client joined on 1 device; and
// "Revoke access" signs that device out.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import type { Page } from 'playwright-core';
import { probeServer } from '../../main/sync/probe.ts';
import { joinWithCode } from '../helpers.ts';
import { scenario } from './scenario.ts';
import { closeDesk, eventually, findChromium, openDesk, SCREENSHOTS, type Desk, type Stack } from './support.ts';

const browser = findChromium();
const skip = 'skip' in browser ? browser.skip : undefined;
const ACTION_MS = 10_000;

describe('inviting a client, in Chromium', () => {
  let desk: Desk | undefined;
  let dir = '';
  let stack: Stack | undefined;
  let page: Page;
  let cspViolations: string[] = [];

  // Shared along the scenario.
  let code = '';
  let phoneToken = '';

  before(
    async () => {
      if (skip) return;
      desk = await openDesk((browser as { path: string }).path, { name: 'invites', actionMs: ACTION_MS });
      ({ dir, stack, page, cspViolations } = desk);
    },
    { timeout: 90_000 },
  );

  after(
    async () => {
      await closeDesk(desk);
    },
    { timeout: 30_000 },
  );

  const step = scenario(skip);
  const ben = () => page.getByRole('row', { name: 'Ben Okafor' });
  const access = () => ben().locator('td[data-label="App access"]');
  const serverHttp = () => stack!.serverUrl.replace(/^ws:/, 'http:').replace(/\/sync$/, '');

  step('1. signs in and adds Ben Okafor, who is not invited yet', 40_000, async () => {
    await page.goto(stack!.url);
    const form = page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Server URL').fill(stack!.serverUrl);
    await form.getByLabel('Token').fill(stack!.coach.token);
    await form.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Clients', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'Add client', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Add client' });
    await dialog.getByLabel('Name').fill('Ben Okafor');
    await dialog.getByRole('button', { name: 'Add client' }).click();
    await ben().waitFor();
    await page.getByRole('contentinfo', { name: 'Sync status' }).getByTestId('connection').filter({ hasText: /^Synced$/ }).waitFor();
    await access().filter({ hasText: /^Not invited$/ }).waitFor();
    assert.equal(await ben().getByRole('button', { name: 'Revoke access' }).count(), 0);
  });

  step('2. "Invite…" (by keyboard) shows the link, its QR code and the expiry; screenshot', 30_000, async () => {
    await ben().getByRole('button', { name: 'Invite…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Invite Ben Okafor' });
    const link = dialog.getByTestId('invite-link');
    await link.waitFor();
    const url = (await link.textContent()) ?? '';
    assert.match(url, /\/join#/);
    assert.ok(url.startsWith(`${serverHttp()}/join#`), `${url} is on the sync server`);
    code = url.slice(url.indexOf('#') + 1);
    const qr = dialog.getByRole('img', { name: 'QR code for the invite link' });
    await qr.waitFor();
    // The data: SVG is allowed by the page's CSP and draws.
    await eventually('the QR code to load', () => qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), (ok) => ok);
    await dialog.getByText(/^Valid until .+; works once\.$/).waitFor();
    await dialog.getByText('What Ben does').waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Copy link', 'focus on Copy link');
    await page.getByRole('dialog').screenshot({ path: join(SCREENSHOTS, 'invite.png') });
    assert.deepEqual(cspViolations, []);
  });

  step('3. the phone joins with the code; back at the desk, the roster says joined on 1 device', 30_000, async () => {
    const { status, body } = await joinWithCode(serverHttp(), code);
    assert.equal(status, 200, JSON.stringify(body));
    phoneToken = body.token!;
    assert.ok((await probeServer(stack!.serverUrl, phoneToken)).ok, 'the phone’s token works on /sync');
    await page.getByRole('dialog', { name: 'Invite Ben Okafor' }).getByRole('button', { name: 'Done' }).click();
    await access().filter({ hasText: /^Joined on 1 device, last seen / }).waitFor();
  });

  step('4. "Revoke access" asks, then signs the device out: the status is back to not invited', 30_000, async () => {
    await ben().getByRole('button', { name: 'Revoke access' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Revoke access for Ben Okafor?' });
    await confirm.getByText('Ben Okafor’s devices are signed out at once', { exact: false }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel', 'the safe choice is focused');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    await access().filter({ hasText: /^Not invited$/ }).waitFor();
    await page.getByText('Revoked Ben Okafor’s access: 1 device signed out.').waitFor();
    const probe = await probeServer(stack!.serverUrl, phoneToken);
    assert.equal(!probe.ok && probe.error, 'unauthorized', 'the phone’s token is refused now');
  });
});
