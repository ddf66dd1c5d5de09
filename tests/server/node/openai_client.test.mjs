// `plinth serve` driven by the official openai npm client: a real client's view of the wire format.
//
//   (cd tests/server/node && npm ci) && node --test tests/server/node/openai_client.test.mjs
//
// Env: PLINTH_CLI (default build/bin/plinth), PLINTH_SHARED_DIR (default ../shared from the repo root).
// The test starts its own servers on free ports (`--port 0`) and stops them at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const cli = path.resolve(process.env.PLINTH_CLI ?? path.join(repoRoot, 'build/bin/plinth'));
const shared = path.resolve(process.env.PLINTH_SHARED_DIR ?? path.join(repoRoot, '../shared'));
const modelFile = path.join(shared, 'models/stories260K.gguf');
const STARTUP_MS = 30_000;
const PROMPT = 'Once upon a time';

// Starts `plinth serve` and resolves with {url, stop} once it prints its `listening on` line.
// Rejects (never hangs) if the process cannot start, exits first, or stays silent for STARTUP_MS.
function startServer(extraArgs = []) {
  const args = ['serve', '-m', modelFile, '--port', '0', '--parallel', '4', ...extraArgs];
  const child = spawn(cli, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });  // kept for error messages
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let stopping = false;
  const stop = async () => {
    stopping = true;
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;  // never ran, or gone
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (why) => {
      if (failed) return;  // killing it on a timeout also fires 'exit': report the first cause
      failed = true;
      clearTimeout(timer);
      stop().finally(() => reject(new Error(`${cli} ${args.join(' ')}: ${why}\n--- stderr (tail) ---\n${stderr}`)));
    };
    const timer = setTimeout(() => fail(`no "listening on" line within ${STARTUP_MS / 1000} s`), STARTUP_MS);
    const onError = (e) => fail(e.message);  // e.g. ENOENT: binary not built
    const onExit = (code, sig) => fail(`exited (code ${code}, signal ${sig}) before listening`);
    child.once('error', onError);
    child.once('exit', onExit);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^listening on (http:\/\/\S+)\r?\n/m);  // whole line: not a port cut in two
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('error', onError);
      child.stdout.removeAllListeners('data');
      child.stdout.resume();  // keep draining so a full pipe never blocks the server
      child.once('exit', (code, sig) => {  // a crash mid-test: show why next to the failures
        if (!stopping) console.error(`plinth serve died (code ${code}, signal ${sig}); stderr tail:\n${stderr}`);
      });
      resolve({ url: m[1], stop });
    });
  });
}

// No retries: a 5xx or a refused connection must fail the test now, not after back-offs.
const client = (url, apiKey = 'x') => new OpenAI({ baseURL: `${url}/v1`, apiKey, maxRetries: 0, timeout: 20_000 });

// Reads a streamed completion or chat completion; returns the text, the chunks and the usage.
async function collect(stream) {
  const chunks = [];
  let text = '';
  for await (const chunk of stream) {
    chunks.push(chunk);
    for (const c of chunk.choices) text += c.text ?? c.delta?.content ?? '';
  }
  return { text, chunks, usage: chunks.at(-1)?.usage ?? null };
}

describe('plinth serve with the openai client', { timeout: 60_000 }, () => {
  let server, openai, model;
  before(async () => {
    server = await startServer();
    openai = client(server.url);
    model = (await openai.models.list()).data[0]?.id;  // used by every request below
  });
  after(() => server?.stop());

  test('models.list returns the one loaded model', async () => {
    const models = [];
    for await (const m of openai.models.list()) models.push(m);
    assert.equal(models.length, 1);
    assert.equal(typeof models[0].id, 'string');
    assert.ok(models[0].id.length > 0, 'empty model id');
  });

  test('completions.create: text, finish_reason and consistent usage', async () => {
    const r = await openai.completions.create({ model, prompt: PROMPT, max_tokens: 16, temperature: 0 });
    assert.equal(r.choices.length, 1);
    const [choice] = r.choices;
    assert.equal(typeof choice.text, 'string');
    assert.ok(choice.text.length > 0, 'empty completion');
    assert.ok(['length', 'stop'].includes(choice.finish_reason), `finish_reason ${choice.finish_reason}`);
    const u = r.usage;
    assert.ok(u.prompt_tokens > 0, `prompt_tokens ${u.prompt_tokens}`);
    assert.ok(u.completion_tokens > 0 && u.completion_tokens <= 16, `completion_tokens ${u.completion_tokens}`);
    assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
    if (choice.finish_reason === 'length') assert.equal(u.completion_tokens, 16);
  });

  test('chat.completions.create: an assistant message', async () => {
    const r = await openai.chat.completions.create({
      model, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 16, temperature: 0,
    });
    assert.equal(r.choices.length, 1);
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.equal(typeof r.choices[0].message.content, 'string');
    assert.ok(['length', 'stop'].includes(r.choices[0].finish_reason));
  });

  test('streaming chat with include_usage', async () => {
    const max_tokens = 16;
    const stream = await openai.chat.completions.create({
      model, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens, temperature: 0,
      ignore_eos: true,  // plinth extension: the text cannot be empty by an early end-of-sequence
      stream: true, stream_options: { include_usage: true },
    });
    const { text, chunks, usage } = await collect(stream);
    assert.ok(text.length > 0, 'no content in the deltas');
    const finishes = chunks.flatMap((c) => c.choices).filter((c) => c.finish_reason);
    assert.equal(finishes.length, 1, `${finishes.length} chunks with a finish_reason`);
    const last = chunks.at(-1);
    assert.deepEqual(last.choices, [], 'the usage chunk must come last, with choices []');
    assert.ok(usage, 'no usage in the last chunk');
    assert.ok(usage.completion_tokens > 0 && usage.completion_tokens <= max_tokens, `completion_tokens ${usage.completion_tokens}`);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
  });

  test('greedy streaming and non-streaming completions agree', async () => {
    const req = { model, prompt: PROMPT, max_tokens: 16, temperature: 0 };
    const plain = await openai.completions.create(req);
    const streamed = await collect(await openai.completions.create({ ...req, stream: true }));
    assert.ok(plain.choices[0].text.length > 0);
    assert.equal(streamed.text, plain.choices[0].text);
  });

  test('concurrent requests all complete (--parallel 4)', async () => {
    const rs = await Promise.all(Array.from({ length: 4 }, (_, i) =>
      openai.completions.create({ model, prompt: `${PROMPT} ${i}`, max_tokens: 8, temperature: 0, ignore_eos: true })));
    for (const r of rs) {
      assert.ok(r.choices[0].text.length > 0);
      assert.equal(r.usage.completion_tokens, 8);  // ignore_eos: exactly max_tokens
    }
  });

  test('an out-of-range temperature is a 400 invalid_request_error', async () => {
    await assert.rejects(
      openai.completions.create({ model, prompt: PROMPT, max_tokens: 4, temperature: 5 }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 400);
        assert.equal(e.type, 'invalid_request_error');
        assert.equal(e.param, 'temperature');
        return true;
      });
  });

  test('n: 2 is a 400', async () => {
    await assert.rejects(
      openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, n: 2 }),
      (e) => {
        assert.ok(e instanceof OpenAI.BadRequestError, `${e.constructor.name}: ${e.message}`);
        assert.equal(e.status, 400);
        return true;
      });
  });
});

describe('plinth serve --api-key', { timeout: 60_000 }, () => {
  let server, req;
  before(async () => {
    server = await startServer(['--api-key', 'secret']);
    const model = (await client(server.url, 'secret').models.list()).data[0]?.id;
    req = { model, prompt: PROMPT, max_tokens: 4, temperature: 0 };
  });
  after(() => server?.stop());

  test('a wrong key is a 401', async () => {
    await assert.rejects(client(server.url, 'wrong').completions.create(req), (e) => {
      assert.ok(e instanceof OpenAI.AuthenticationError, `${e.constructor.name}: ${e.message}`);
      assert.equal(e.status, 401);
      return true;
    });
  });

  test('the right key is accepted', async () => {
    const r = await client(server.url, 'secret').completions.create(req);
    assert.ok(r.choices[0].text.length > 0);
  });
});
