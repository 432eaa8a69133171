// README's table of supported APIs must say what ApiVersions advertises.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handlers } from '../../src/broker/handlers/index.js';
import { apis } from '../../src/protocol/messages/index.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

test('README lists exactly the registered API versions', () => {
  const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
  const table = readme.split('<!-- api-table:start -->')[1]!.split('<!-- api-table:end -->')[0]!;
  const rows = [...table.matchAll(/^\| (\d+) \| (\w+) \| (\d+)-(\d+) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}-${m[4]}`);
  const expected = [...handlers]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => `${h.apiKey} ${apis.get(h.apiKey)!.name} ${h.minVersion}-${h.maxVersion}`);
  assert.deepEqual(rows, expected);
});
