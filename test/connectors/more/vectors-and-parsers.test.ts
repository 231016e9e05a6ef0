/** Published vectors for the newer connectors, and generated parsers for every connector. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectors } from '../../../connectors/index.js';
import { fixedClock } from '../../../core/clock.js';
import { generateParser } from '../../../core/codegen/generate-parser.js';
import { rawRequest } from '../../helpers/raw-request.js';

describe('published vectors', () => {
  it('Standard Webhooks: the spec example verifies', async () => {
    const c = connectors.get('standard-webhooks')!;
    const params = c.params.parse({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    const req = rawRequest({
      headers: { 'content-type': 'application/json', 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
      body: '{"test": 2432232314}',
    });
    expect(await c.verify(req, params, fixedClock(1614265330_000))).toEqual({ ok: true, value: undefined });
    expect(await c.verify(req, params, fixedClock(1614265330_000 + 301_000))).toMatchObject({ ok: false, rejection: { code: 'timestamp_too_old' } });
    expect(c.parse(req, params)).toMatchObject({ ok: true, value: { deliveryId: 'msg_p5jXN8AQM9LWM0D4loKWxJek' } });
  });

  it('GitLab signing tokens verify as Standard Webhooks do (the same spec example)', async () => {
    const c = connectors.get('gitlab')!;
    const params = c.params.parse({ secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', mode: 'signed' });
    const req = rawRequest({ headers: { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' }, body: '{"test": 2432232314}' });
    expect(await c.verify(req, params, fixedClock(1614265330_000))).toEqual({ ok: true, value: undefined });
  });
});

describe('generated parsers for every connector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hooklaunch-parsers-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([...connectors.keys()])('%s: Python parses its sample delivery', (id) => {
    const connector = connectors.get(id)!;
    const python = generateParser(connector, 'python');
    writeFileSync(join(dir, python.filename), python.content);
    const params = connector.params.parse(id === 'discord' ? { public_key: 'a'.repeat(64) } : id === 'grafana' ? { secret: 'parser-secret-0123456789' } : { secret: id === 'standard-webhooks' ? 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' : 'parser-secret-0123456789' });
    const sample = connector.sample!(params);
    const file = join(dir, `${id}.sample`);
    writeFileSync(file, sample.body);
    const module = python.filename.replace(/\.py$/, '');
    const out = execFileSync('python3', ['-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); import ${module} as p; v = p.load_file(${JSON.stringify(file)}); print(type(v).__name__)`], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^[A-Z]\w+$/);
    expect(connector.parse(rawRequest({ headers: { 'content-type': sample.contentType, 'x-github-event': 'push', 'x-github-delivery': 'd' }, body: sample.body }), params).ok).toBe(true);
  });

  const fixtures: Array<[string, string]> = [
    ['gitlab', 'gitlab/push.json'],
    ['discord', 'discord/application-command.json'],
    ['label-studio', 'label-studio/annotation-created.json'],
    // Bulk shapes from labelstud.io/guide/webhook_reference and label_studio/webhooks/models.py (lists under annotation and task).
    ['label-studio', 'label-studio/tasks-created.json'],
    ['label-studio', 'label-studio/annotations-created.json'],
    ['datadog', 'datadog/triggered.json'],
    ['grafana', 'grafana/firing.json'],
    ['stripe', 'stripe/checkout-session-completed.json'],
    ['standard-webhooks', 'standard-webhooks/event.json'],
  ];
  it.each(fixtures)('%s: a real-shaped delivery (%s) decodes in the connector and in the generated Python', (id, fixture) => {
    const connector = connectors.get(id)!;
    const file = join(import.meta.dirname, '../../fixtures', fixture);
    const body = readFileSync(file, 'utf8');
    const params = connector.params.parse(id === 'discord' ? { public_key: 'a'.repeat(64) } : { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
    expect(connector.parse(rawRequest({ headers: { 'content-type': 'application/json' }, body }), params).ok).toBe(true);
    const python = generateParser(connector, 'python');
    writeFileSync(join(dir, python.filename), python.content);
    const module = python.filename.replace(/\.py$/, '');
    const out = execFileSync('python3', ['-I', '-c', `import sys; sys.path.insert(0, ${JSON.stringify(dir)}); import ${module} as p; print(type(p.load_file(${JSON.stringify(file)})).__name__)`], { encoding: 'utf8' });
    expect(out.trim()).toMatch(/Payload$/);
  });

  it.each([...connectors.keys()])('%s: TypeScript parser compiles', (id) => {
    const typescript = generateParser(connectors.get(id)!, 'typescript');
    writeFileSync(join(dir, typescript.filename), typescript.content);
    execFileSync(process.execPath, [join(import.meta.dirname, '../../../node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--target', 'es2023', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(import.meta.dirname, '../../../node_modules/@types'), join(dir, typescript.filename)], { encoding: 'utf8' });
  });
});
