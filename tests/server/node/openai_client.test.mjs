// `plinth serve` driven by the official openai npm client: a real client's view of the wire format.
//
//   (cd tests/server/node && npm ci) && node --test tests/server/node/openai_client.test.mjs
//
// Env: PLINTH_CLI (default build/bin/plinth), PLINTH_SHARED_DIR (default ../shared from the repo root).
// The test starts its own servers on free ports (`--port 0`) and stops them at the end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

import { PROMPT, startServer } from './plinth_server.mjs';

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

  test('responses.create and responses.stream: output_text, status and usage agree', async () => {
    const params = { model, instructions: 'Tell a story.', input: PROMPT, max_output_tokens: 10, temperature: 0 };
    const whole = await openai.responses.create(params);
    assert.equal(whole.object, 'response');
    assert.equal(whole.status, 'incomplete');  // cut by max_output_tokens
    assert.equal(whole.incomplete_details.reason, 'max_output_tokens');
    assert.equal(whole.output[0].type, 'message');
    assert.ok(whole.output_text.length > 0);
    assert.equal(whole.usage.output_tokens, 10);
    const stream = openai.responses.stream(params);
    let deltas = '';
    const kinds = [];
    for await (const event of stream) {
      kinds.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
    }
    const final = await stream.finalResponse();
    assert.equal(kinds[0], 'response.created');
    assert.equal(kinds.at(-1), 'response.incomplete');
    assert.equal(deltas, whole.output_text);
    assert.equal(final.output_text, whole.output_text);
    // Input items: a conversation of messages, and what cannot be honoured is a 400.
    const items = await openai.responses.create({ model, max_output_tokens: 4, temperature: 0,
      input: [{ role: 'user', content: [{ type: 'input_text', text: PROMPT }] }] });
    assert.equal(items.usage.output_tokens, 4);
    await assert.rejects(openai.responses.create({ model, input: PROMPT,
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'string', pattern: 'a+' } } } }),
      (e) => e instanceof OpenAI.BadRequestError && /text.format/.test(e.message) && /pattern/.test(e.message));
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
