/**
 * Loads the vendored SARIF 2.1.0 schema (test/fixtures/e2e/sarif-schema-2.1.0.json; origin in the NOTICE beside it)
 * into ajv. The file is written in JSON Schema draft-04, which ajv 8 does not read directly; the only draft-04
 * construct it uses is the top-level `id`, so it is renamed to `$id` and the draft marker dropped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

export const SARIF_SCHEMA_PATH = path.join(__dirname, '../../../test/fixtures/e2e/sarif-schema-2.1.0.json');

export function loadSarifValidator(): ValidateFunction {
  const schema = JSON.parse(fs.readFileSync(SARIF_SCHEMA_PATH, 'utf8')) as Record<string, unknown>;
  const { $schema: _draft, id, ...rest } = schema;
  void _draft;
  // unicodeRegExp off: one `pattern` in the rtm.5 file (the language tag) is not a valid `u`-flag regex.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile({ $id: typeof id === 'string' ? id : undefined, ...rest });
}
