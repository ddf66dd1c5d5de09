// `plinth serve`'s Messages API (POST /v1/messages) driven by the official @anthropic-ai/sdk client.
//
//   (cd tests/server/node && npm ci) && node --test tests/server/node/anthropic_client.test.mjs
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';

import { PROMPT, shared, startServer } from './plinth_server.mjs';

const client = (url) => new Anthropic({ baseURL: url, apiKey: 'x', maxRetries: 0, timeout: 20_000 });

describe('messages.create against plinth serve', () => {
  let server;
  before(async () => {
    server = await startServer(['--chat-template', path.join(shared, 'templates/Qwen-Qwen2.5-7B-Instruct.jinja')]);
  });
  after(async () => { await server?.stop(); });

  test('a whole message: one text block, max_tokens as the stop reason, usage', async () => {
    const m = await client(server.url).messages.create({
      model: 'stories260K', max_tokens: 8, temperature: 0, messages: [{ role: 'user', content: PROMPT }],
    });
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.content.length, 1);
    assert.equal(m.content[0].type, 'text');
    assert.ok(m.content[0].text.length > 0);
    assert.equal(m.stop_reason, 'max_tokens');
    assert.equal(m.usage.output_tokens, 8);
    assert.ok(m.usage.input_tokens > 4);
  });

  test('streamed, the same text as whole, in the events Anthropic defines', async () => {
    const params = {
      model: 'stories260K', max_tokens: 12, temperature: 0, system: 'Tell a story.',
      messages: [{ role: 'user', content: [{ type: 'text', text: PROMPT }] }],
    };
    const whole = await client(server.url).messages.create(params);
    const stream = client(server.url).messages.stream(params);
    const kinds = [];
    let text = '';
    for await (const event of stream) {
      kinds.push(event.type);
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    }
    const final = await stream.finalMessage();
    assert.equal(kinds[0], 'message_start');
    assert.equal(kinds.at(-1), 'message_stop');
    assert.ok(kinds.includes('content_block_start') && kinds.includes('content_block_stop') && kinds.includes('message_delta'));
    assert.equal(text, whole.content[0].text);
    assert.equal(final.content[0].text, whole.content[0].text);
    assert.equal(final.stop_reason, 'max_tokens');
    assert.equal(final.usage.output_tokens, 12);
  });

  test('a tool round trip in the history reaches the template; forcing a tool is refused', async () => {
    const tools = [{ name: 'get_weather', description: 'The weather in a city',
      input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
    const messages = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny, 21 C' }] },
    ];
    const m = await client(server.url).messages.create({ model: 'stories260K', max_tokens: 4, temperature: 0, tools, messages });
    assert.equal(m.type, 'message');
    const plain = await client(server.url).messages.create({ model: 'stories260K', max_tokens: 4, temperature: 0, messages: messages.slice(0, 1) });
    assert.ok(m.usage.input_tokens > plain.usage.input_tokens + 20);  // the tool, the call and its result are in the prompt
    await assert.rejects(
      client(server.url).messages.create({ model: 'stories260K', max_tokens: 4, tools, tool_choice: { type: 'any' }, messages }),
      (e) => e instanceof Anthropic.BadRequestError && /tool_choice/.test(e.message));
  });

  test('a request without max_tokens is a 400', async () => {
    await assert.rejects(
      client(server.url).messages.create({ model: 'stories260K', messages: [{ role: 'user', content: PROMPT }] }),
      (e) => e instanceof Anthropic.BadRequestError && /max_tokens/.test(e.message));
  });
});
