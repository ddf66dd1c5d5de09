// Structured output enforced by constrained sampling, seen through the official openai client:
// response_format json_schema / json_object and the `grammar` extension, whole and streamed, and a
// tool round trip whose call a grammar forces into the Hermes <tool_call> form, and tool_choice required.
//
//   (cd tests/server/node && npm ci) && node --test tests/server/node/structured_output.test.mjs
//
// Env: PLINTH_CLI (default build/bin/plinth), PLINTH_SHARED_DIR (default ../shared from the repo root).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Ajv from 'ajv';
import OpenAI from 'openai';

import { shared, startServer } from './plinth_server.mjs';

const client = (url) => new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0, timeout: 30_000 });

// Every supported keyword family: types (and a list of them), required and optional properties,
// additionalProperties false, enum, const, anyOf, an array with bounds, string lengths, a $ref.
const schema = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 10 },
    age: { type: 'integer' },
    kind: { enum: ['cat', 'dog', 'owl'] },
    version: { const: 2 },
    weight: { type: ['number', 'null'] },
    tags: { type: 'array', items: { $ref: '#/$defs/tag' }, minItems: 1, maxItems: 2 },
    owner: { anyOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'], additionalProperties: false }] },
    alive: { type: 'boolean' },
  },
  required: ['name', 'age', 'kind', 'version', 'tags'],
  additionalProperties: false,
  $defs: { tag: { type: 'string', maxLength: 4 } },
};
// Replies take about 95-125 tokens here (the tiny vocabulary spells keys out bytewise): some of the
// 20 complete, some are cut, so both finish reasons are checked.
const MAX_TOKENS = 118;
const messages = [{ role: 'user', content: 'Describe a pet.' }];
const jsonSchemaFormat = { type: 'json_schema', json_schema: { name: 'pet', strict: true, schema } };

describe('structured output with the openai client', { timeout: 240_000 }, () => {
  let server, openai, model;
  before(async () => {
    server = await startServer();
    openai = client(server.url);
    model = (await openai.models.list()).data[0]?.id;
  });
  after(() => server?.stop());

  test('json_schema, temperature 1.0, 20 seeds: every stopped reply validates, every cut one says length', async () => {
    const validate = new Ajv({ strict: true }).compile(schema);
    const reasons = { stop: 0, length: 0 };
    for (let seed = 1; seed <= 20; ++seed) {
      const r = await openai.chat.completions.create({
        model, messages, temperature: 1.0, seed, max_tokens: MAX_TOKENS, response_format: jsonSchemaFormat,
      });
      const [choice] = r.choices;
      const text = choice.message.content;
      assert.ok(['stop', 'length'].includes(choice.finish_reason), `seed ${seed}: finish_reason ${choice.finish_reason}`);
      ++reasons[choice.finish_reason];
      if (choice.finish_reason === 'stop') {
        let value;
        assert.doesNotThrow(() => { value = JSON.parse(text); }, `seed ${seed}: not JSON: ${text}`);
        assert.ok(validate(value), `seed ${seed}: ${text}\n${JSON.stringify(validate.errors)}`);
        assert.ok(r.usage.completion_tokens <= MAX_TOKENS);
      } else {
        assert.equal(r.usage.completion_tokens, MAX_TOKENS, `seed ${seed}: cut before max_tokens`);
      }
    }
    console.log(`20 seeds: ${reasons.stop} stop (all valid), ${reasons.length} length`);
    assert.ok(reasons.stop >= 3, `only ${reasons.stop} of 20 replies completed the schema`);
  });

  test('streamed json_schema gives the same text as the whole reply', async () => {
    const request = { model, messages, temperature: 1.0, seed: 7, max_tokens: MAX_TOKENS, response_format: jsonSchemaFormat };
    const whole = await openai.chat.completions.create(request);
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    let text = '';
    let finish = null;
    for await (const chunk of stream)
      for (const c of chunk.choices) {
        text += c.delta?.content ?? '';
        finish = c.finish_reason ?? finish;
      }
    assert.equal(text, whole.choices[0].message.content);
    assert.equal(finish, whole.choices[0].finish_reason);
  });

  test('json_object: any JSON object', async () => {
    for (const seed of [1, 2, 3]) {
      const r = await openai.chat.completions.create({
        model, messages, temperature: 1.0, seed, max_tokens: 200, response_format: { type: 'json_object' },
      });
      const [choice] = r.choices;
      if (choice.finish_reason !== 'stop') continue;
      const value = JSON.parse(choice.message.content);
      assert.equal(typeof value, 'object');
      assert.ok(value !== null && !Array.isArray(value), choice.message.content);
    }
  });

  test('completions with a grammar: the text is a sentence of it, then stop', async () => {
    const r = await openai.completions.create({
      model, prompt: 'Once upon a time', temperature: 1.0, seed: 3, max_tokens: 32,
      grammar: 'root ::= " " ("yes" | "no") "," [a-z ]{2,6} "."',
    });
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.match(r.choices[0].text, /^ (yes|no),[a-z ]{2,6}\.$/);
  });

  test('Responses API: text.format json_schema', async () => {
    const petSchema = { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'boolean' } }, required: ['a'], additionalProperties: false };
    const validate = new Ajv({ strict: true }).compile(petSchema);
    const r = await openai.responses.create({ model, input: 'A number?', temperature: 1.0, max_output_tokens: 60,
      text: { format: { type: 'json_schema', name: 'n', strict: true, schema: petSchema } } });
    if (r.status === 'completed') assert.ok(validate(JSON.parse(r.output_text)), r.output_text);
    else assert.equal(r.status, 'incomplete');
  });

  test('what cannot be enforced is a 400 naming it', async () => {
    await assert.rejects(openai.chat.completions.create({
      model, messages, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: '^a' } } },
    }), (e) => e instanceof OpenAI.BadRequestError && /'pattern'/.test(e.message));
    await assert.rejects(openai.completions.create({ model, prompt: 'x', grammar: 'root ::= ("a"' }),
      (e) => e instanceof OpenAI.BadRequestError && /expected '\)'/.test(e.message));
  });
});

describe('a tool round trip forced by a grammar', { timeout: 120_000 }, () => {
  let server, openai, model;
  before(async () => {
    // A template that knows tools and writes Hermes-style <tool_call> blocks.
    server = await startServer(['--chat-template', path.join(shared, 'templates/Qwen-Qwen2.5-7B-Instruct.jinja')]);
    openai = client(server.url);
    model = (await openai.models.list()).data[0]?.id;
  });
  after(() => server?.stop());

  const tools = [{
    type: 'function',
    function: { name: 'get_weather', description: 'The weather in a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  }];
  const callGrammar = String.raw`root ::= "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"" [A-Za-z]{1,12} "\"}}\n</tool_call>"`;

  test('tool_choice required: a call whose arguments validate against the parameters schema', async () => {
    const validate = new Ajv({ strict: true }).compile(tools[0].function.parameters);
    let calls = 0;
    for (const seed of [1, 2, 3, 4]) {
      const r = await openai.chat.completions.create({ model, tools, tool_choice: 'required', temperature: 1.0, seed, max_tokens: 200,
        messages: [{ role: 'user', content: 'What is the weather in Oslo?' }] });
      const [choice] = r.choices;
      if (choice.finish_reason === 'length') continue;  // an argument string the tiny model never closed
      assert.equal(choice.finish_reason, 'tool_calls');
      assert.equal(choice.message.tool_calls[0].function.name, 'get_weather');
      const args = JSON.parse(choice.message.tool_calls[0].function.arguments);
      assert.ok(validate(args), `${JSON.stringify(args)}: ${JSON.stringify(validate.errors)}`);
      ++calls;
    }
    assert.ok(calls >= 1, 'no seed gave a finished call');
  });

  test('the forced call comes back as tool_calls, and the tool result goes back in', async () => {
    const ask = [{ role: 'user', content: 'What is the weather in Paris?' }];
    const first = await openai.chat.completions.create({ model, messages: ask, tools, temperature: 1.0, seed: 5, max_tokens: 120, grammar: callGrammar });
    const [choice] = first.choices;
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.equal(choice.message.tool_calls.length, 1);
    const call = choice.message.tool_calls[0];
    assert.equal(call.function.name, 'get_weather');
    const args = JSON.parse(call.function.arguments);
    assert.match(args.city, /^[A-Za-z]{1,12}$/);

    const second = await openai.chat.completions.create({
      model, tools, temperature: 0, max_tokens: 16,
      messages: [...ask, choice.message, { role: 'tool', tool_call_id: call.id, content: JSON.stringify({ sky: 'sunny', celsius: 21 }) }],
    });
    assert.ok(['stop', 'length'].includes(second.choices[0].finish_reason));
    assert.equal(typeof second.choices[0].message.content, 'string');
    // The tool result reached the prompt: it is longer than the first request's.
    assert.ok(second.usage.prompt_tokens > first.usage.prompt_tokens);
  });

  test('streamed, the same forced call arrives as tool-call deltas that add up to the whole reply', async () => {
    const request = { model, tools, temperature: 1.0, seed: 5, max_tokens: 120, grammar: callGrammar,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }] };
    const whole = (await openai.chat.completions.create(request)).choices[0].message.tool_calls[0];
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    let name = '', args = '', id = '', deltas = 0, finish = null, content = '';
    for await (const chunk of stream) {
      const [choice] = chunk.choices;
      if (!choice) continue;
      if (choice.finish_reason) finish = choice.finish_reason;
      if (choice.delta?.content) content += choice.delta.content;
      for (const d of choice.delta?.tool_calls ?? []) {
        assert.equal(d.index, 0);
        ++deltas;
        if (d.id) id = d.id;
        if (d.function?.name) name += d.function.name;
        if (d.function?.arguments) args += d.function.arguments;
      }
    }
    assert.equal(finish, 'tool_calls');
    assert.ok(deltas >= 1);
    assert.ok(id.length > 0);
    assert.equal(name, 'get_weather');
    assert.deepEqual(JSON.parse(args), JSON.parse(whole.function.arguments));
    assert.ok(!content.includes('<tool_call>'), 'the call markup does not leak into content');
  });
});
