// electron-builder.yml, loaded and schema-checked by app-builder-lib itself (the code electron-builder
// runs), plus the settings the packaging and the CI workflow rely on.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Configuration } from 'app-builder-lib';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const require = createRequire(import.meta.url);
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as typeof import('app-builder-lib/out/util/config/config.js');
const { DebugLogger, log } = require('builder-util') as typeof import('builder-util');
// electron-builder logs to stdout, which Node's test runner reads as its own channel from this
// process: its log lines there broke the runner's framing now and then ("Unable to deserialize").
(log as unknown as { stream: NodeJS.WritableStream }).stream = process.stderr;

async function loadConfig(): Promise<Configuration> {
  return getConfig(ROOT, 'electron-builder.yml', null);
}

async function rejects(config: unknown): Promise<string> {
  try {
    await validateConfiguration(config as Configuration, new DebugLogger(false));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('validateConfiguration accepted a broken configuration');
}

type TargetList = Array<string | { target: string; arch?: string[] }>;

function targetsOf(value: unknown): Map<string, string[]> {
  const list = (Array.isArray(value) ? value : [value]) as TargetList;
  return new Map(list.map((t) => (typeof t === 'string' ? [t, []] : [t.target, t.arch ?? []])));
}

describe('electron-builder.yml', { timeout: 60_000 }, () => {
  test('passes electron-builder 26 schema validation', async () => {
    const config = await loadConfig();
    assert.equal(config.appId, 'app.coachdesk.desktop');
    await validateConfiguration(config, new DebugLogger(false));
  });

  test('the validation really checks: broken copies are rejected', async () => {
    const config = await loadConfig();
    assert.match(await rejects({ ...config, nsis: { ...config.nsis, oneClik: false } }), /configuration\.nsis\b/);
    assert.match(await rejects({ ...config, npmRebuild: 'yes' }), /configuration\.npmRebuild\b/);
    assert.match(await rejects({ ...config, electronFuses: { ...config.electronFuses, runAsNod: false } }), /configuration\.electronFuses\b/);
  });

  test('packs the staged app, with the native rebuild done by the staging hook', async () => {
    const config = await loadConfig();
    assert.deepEqual(config.directories, { app: 'stage/app', output: 'out', buildResources: 'build' });
    // electron-builder's own rebuild would also rebuild the repo's node_modules (see shipped-modules.test.ts).
    assert.equal(config.npmRebuild, false);
    assert.equal(config.beforePack, './scripts/stage-app.mjs');
    assert.equal(config.beforeBuild, undefined, 'a beforeBuild hook resolving to false would stop node_modules from being packed');
    const stage = (await import(pathToFileURL(resolve(ROOT, config.beforePack as string)).href)) as { beforePack: unknown; DEFAULT_STAGE_DIR: string };
    assert.equal(typeof stage.beforePack, 'function');
    assert.equal(resolve(stage.DEFAULT_STAGE_DIR), resolve(ROOT, config.directories!.app!));
    assert.ok(config.asarUnpack && (config.asarUnpack as string[]).includes('**/*.node'), 'the native addon must be unpacked from the asar');
    assert.match(readFileSync(join(ROOT, '.gitignore'), 'utf8'), /^\/?stage\/$/m);
  });

  test('sets the fuses', async () => {
    const config = await loadConfig();
    assert.deepEqual(config.electronFuses, {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
      resetAdHocDarwinSignature: true,
    });
  });

  test('targets per OS, artifact names and publishing', async () => {
    const config = await loadConfig();
    assert.equal(config.productName, 'CoachDesk');
    for (const macro of ['${version}', '${os}', '${arch}']) assert.ok(config.artifactName?.includes(macro), `artifactName lacks ${macro}`);

    const linux = targetsOf(config.linux?.target);
    assert.deepEqual([...linux.keys()].sort(), ['AppImage', 'deb']);
    assert.equal(config.linux?.executableName, 'coachdesk', 'the CI smoke test runs out/linux-unpacked/coachdesk');
    assert.ok(config.linux?.maintainer && config.linux.synopsis && config.linux.category);

    assert.deepEqual([...targetsOf(config.win?.target).keys()], ['nsis']);
    assert.equal(config.nsis?.oneClick, false);
    assert.equal(config.nsis?.perMachine, false);
    assert.equal(config.nsis?.allowToChangeInstallationDirectory, true);

    const mac = targetsOf(config.mac?.target);
    assert.deepEqual([...mac.keys()].sort(), ['dmg', 'zip']);
    for (const [name, archs] of mac) assert.deepEqual([...archs].sort(), ['arm64', 'x64'], `mac ${name} archs`);
    assert.equal(config.mac?.category, 'public.app-category.healthcare-fitness');
    assert.equal(config.mac?.hardenedRuntime, true);
    assert.equal(config.mac?.notarize, undefined, 'notarization is driven by the APPLE_API_* environment');
    for (const file of [config.mac?.entitlements, config.mac?.entitlementsInherit]) {
      assert.ok(file && existsSync(join(ROOT, file)), `missing entitlements file ${file}`);
      assert.match(readFileSync(join(ROOT, file), 'utf8'), /<key>com\.apple\.security\.cs\.allow-jit<\/key>\s*<true\/>/);
    }

    assert.deepEqual(config.publish, [{ provider: 'github', releaseType: 'draft' }]);
  });
});
