/**
 * The connectors' next-step helpers in the generated Python parsers (issue #16 point 5), each run
 * in python3 against a stand-in of the provider that the test script serves on 127.0.0.1: Slack
 * respond() through response_url and, once that is refused, the Web API; V7 download_items()
 * asking V7 again when a presigned URL has expired; GitHub checkout() of the pushed commit with git.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { slashCommandBody } from '../../helpers/provider-requests.js';

const templates = resolve(import.meta.dirname, '../../../templates');
const scratch = mkdtempSync(join(tmpdir(), 'hooklaunch-helpers-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A threaded HTTP server on 127.0.0.1 whose handler records every request in `seen`. */
const STAND_IN = `
import http.server, json, os, sys, threading
seen = []
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def reply(self, status, body=b"", headers=None):
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def record(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        seen.append({"method": self.command, "path": self.path, "authorization": self.headers.get("authorization"), "body": body})
        return body
    def do_GET(self):
        self.record()
        route(self)
    def do_POST(self):
        self.record()
        route(self)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"
`;

function runPython(templateDir: string, routes: string, body: string, env: Record<string, string> = {}): unknown {
  const script = [`import sys\nsys.path.insert(0, ${JSON.stringify(join(templates, templateDir))})`, STAND_IN, routes, body].join('\n');
  const out = execFileSync('python3', ['-B', '-c', script], { cwd: scratch, env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

describe('Slack respond()', () => {
  const payload = (responseUrlPath: string) => slashCommandBody({ text: 'cat.png', response_url: `RESPONSE_BASE${responseUrlPath}` });
  const ROUTES = `
def route(h):
    if h.path == "/hooks/fresh":
        h.reply(200, b"ok")
    elif h.path == "/hooks/expired":
        h.reply(404, b"expired_url")
    elif h.path.startswith("/api/chat."):
        h.reply(200, json.dumps({"ok": True}).encode(), {"content-type": "application/json"})
    else:
        h.reply(500, b"unexpected")
`;
  const call = (path: string, extra = '') => `
import slack_payload as p
os.environ["SLACK_API_URL"] = base + "/api/"
command = p.parse(${JSON.stringify(payload(path))}.replace("RESPONSE_BASE", urllib_quote(base)))
route_taken = command.respond("cat: 97%", blocks=[{"type": "section"}], allowed_hosts=("127.0.0.1",)${extra})
print(json.dumps({"route": route_taken, "seen": seen}))
`;
  const quote = 'import urllib.parse\ndef urllib_quote(s):\n    return urllib.parse.quote(s, safe="")\n';

  it('posts to the response_url while Slack takes it (ephemeral by default)', () => {
    const result = runPython('slack-predict', ROUTES + quote, call('/hooks/fresh')) as { route: string; seen: Array<{ path: string; body: string }> };
    expect(result.route).toBe('response_url');
    expect(result.seen).toHaveLength(1);
    expect(JSON.parse(result.seen[0]!.body)).toEqual({ text: 'cat: 97%', response_type: 'ephemeral', blocks: [{ type: 'section' }] });
  });

  it('once the response_url is refused, answers through chat.postEphemeral with the bot token', () => {
    const result = runPython('slack-predict', ROUTES + quote, call('/hooks/expired'), { SLACK_BOT_TOKEN: 'xoxb-test' }) as { route: string; seen: Array<{ path: string; body: string; authorization: string }> };
    expect(result.route).toBe('chat.postEphemeral');
    expect(result.seen.map((s) => s.path)).toEqual(['/hooks/expired', '/api/chat.postEphemeral']);
    expect(result.seen[1]!.authorization).toBe('Bearer xoxb-test');
    expect(JSON.parse(result.seen[1]!.body)).toMatchObject({ channel: 'C0001', user: 'U0001', text: 'cat: 97%', blocks: [{ type: 'section' }] });
  });

  it('in_channel answers go through chat.postMessage; without a token the error says why', () => {
    const posted = runPython('slack-predict', ROUTES + quote, call('/hooks/expired', ', ephemeral=False'), { SLACK_BOT_TOKEN: 'xoxb-test' }) as { route: string };
    expect(posted.route).toBe('chat.postMessage');
    const refused = runPython('slack-predict', ROUTES + quote, `
import slack_payload as p
command = p.parse(${JSON.stringify(payload('/hooks/expired'))}.replace("RESPONSE_BASE", urllib_quote(base)))
try:
    command.respond("x", allowed_hosts=("127.0.0.1",))
except p.SlackAnswerError as error:
    print(json.dumps(str(error)))
`);
    expect(refused).toBe('response_url refused (404 expired_url) and no bot token (bot_token or $SLACK_BOT_TOKEN)');
  });

  it('never posts to a host that is not allowed', () => {
    const result = runPython('slack-predict', ROUTES + quote, `
import slack_payload as p
command = p.parse(${JSON.stringify(payload('/hooks/fresh'))}.replace("RESPONSE_BASE", urllib_quote(base)))
try:
    command.respond("x")
except p.SlackAnswerError as error:
    print(json.dumps({"error": str(error), "seen": len(seen)}))
`);
    expect(result).toEqual({ error: "response_url host '127.0.0.1' is not one of hooks.slack.com", seen: 0 });
  });
});

describe('V7 download_items()', () => {
  it('fetches each source file through V7, asks again when the presigned URL has expired, and keeps the API key from storage', () => {
    // V7's file URL answers with a redirect to storage; the first presigned URL has expired.
    const routes = `
signed = []
def route(h):
    if h.path.startswith("/api/v2/teams/acme/files/"):
        signed.append(h.path)
        h.reply(302, headers={"location": f"/storage/{h.path.split('/')[-2]}?sig={len(signed)}"})
    elif h.path == "/storage/abc?sig=1":
        h.reply(403, b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
    elif h.path.startswith("/storage/abc?sig="):
        h.reply(200, b"JPEG-BYTES")
    else:
        h.reply(404)
`;
    const result = runPython('v7-train', routes, `
import v7_payload as p
delivery = p.parse(json.dumps({"item": {"name": "car.jpg", "source_info": {"item_id": "i1"}, "slots": [{"slot_name": "0", "source_files": [{"file_name": "../../car.jpg", "url": base + "/api/v2/teams/acme/files/abc/original"}]}]}}))
paths = delivery.download_items(os.path.join(os.getcwd(), "items"))
print(json.dumps({"paths": [os.path.relpath(x) for x in paths], "content": open(paths[0], "rb").read().decode(), "seen": [(s["path"], s["authorization"]) for s in seen]}))
`, { V7_API_KEY: 'v7-key' });
    expect(result).toEqual({
      paths: ['items/car.jpg'],
      content: 'JPEG-BYTES',
      seen: [
        ['/api/v2/teams/acme/files/abc/original', 'ApiKey v7-key'],
        ['/storage/abc?sig=1', null],
        ['/api/v2/teams/acme/files/abc/original', 'ApiKey v7-key'],
        ['/storage/abc?sig=2', null],
      ],
    });
  });

  it('a team webhook names no files: a PayloadError says so', () => {
    const result = runPython('v7-train', 'def route(h):\n    h.reply(500)\n', `
import v7_payload as p
hook = p.parse(json.dumps({"event_type": "workflow_complete", "payload": {"dataset_id": 1, "filename": "a.png"}}))
try:
    p.download_items(hook, "items")
except p.PayloadError as error:
    print(json.dumps(str(error)))
`);
    expect(result).toBe('payload: download_items needs a StageDelivery (a team webhook names no files), got TeamWebhook');
  });
});

describe('GitHub checkout()', () => {
  it('clones the repository over HTTP and checks out exactly the pushed commit', () => {
    // A repository with two commits, served the way git's "dumb" HTTP protocol reads it (update-server-info).
    const work = join(scratch, 'work');
    mkdirSync(work);
    const git = (args: string[], cwd = work) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' }).trim();
    git(['init', '--quiet']);
    writeFileSync(join(work, 'model.py'), 'VERSION = 1\n');
    git(['add', '.']);
    git(['commit', '--quiet', '-m', 'one']);
    const pushed = git(['rev-parse', 'HEAD']);
    writeFileSync(join(work, 'model.py'), 'VERSION = 2\n');
    git(['commit', '--quiet', '-am', 'two']);
    const served = join(scratch, 'served');
    mkdirSync(served);
    git(['clone', '--quiet', '--bare', work, join(served, 'repo.git')], scratch);
    git(['update-server-info'], join(served, 'repo.git'));
    const routes = `
import functools
class Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
server.RequestHandlerClass = functools.partial(Files, directory=${JSON.stringify(served)})
def route(h):
    pass
`;
    const result = runPython('github-autofetch', routes, `
import subprocess
import github_payload as p
push = p.parse(json.dumps({"ref": "refs/heads/main", "after": ${JSON.stringify(pushed)}, "repository": {"id": 1, "name": "repo", "full_name": "o/repo", "clone_url": base + "/repo.git"}}))
commit = push.checkout(os.path.join(os.getcwd(), "checkout"))
head = subprocess.run(["git", "-C", "checkout", "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
print(json.dumps({"commit": commit, "head": head, "file": open("checkout/model.py").read()}))
`);
    expect(result).toEqual({ commit: pushed, head: pushed, file: 'VERSION = 1\n' });
  });

  it('refuses a deleted ref and a non-https clone URL before running git', () => {
    const result = runPython('github-autofetch', 'def route(h):\n    h.reply(500)\n', `
import github_payload as p
out = []
for after, url in (("0" * 40, "https://github.com/o/r.git"), ("a" * 40, "file:///etc")):
    push = p.parse(json.dumps({"after": after, "repository": {"id": 1, "name": "r", "full_name": "o/r", "clone_url": url}}))
    try:
        push.checkout("never")
    except p.PayloadError as error:
        out.append(str(error))
print(json.dumps(out))
`);
    expect(result).toEqual(['payload.after: the push deleted its ref; there is no commit to check out', 'payload.repository.clone_url: file: URLs are not cloned (https only)']);
  });
});
