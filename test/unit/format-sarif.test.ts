import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSarifValidator } from '../e2e/sarif-schema';
import { formatSarif, toSarif, toUriReference } from '../../src/format/sarif';
import { EMPTY_RESULT, ERROR_FINDING, INFO_FINDING, SAMPLE_RULES, WARNING_FINDING, sampleResult } from './format-sample';

const META = { toolName: 'iommu-review', version: '1.2.3', target: 'latest', informationUri: 'https://example.invalid/iommu-review' };
const validate = loadSarifValidator();

function assertValid(log: unknown): void {
  const ok = validate(log);
  assert.equal(ok, true, JSON.stringify(validate.errors, null, 2));
}

test('the SARIF log validates against the SARIF 2.1.0 schema', () => {
  assertValid(JSON.parse(formatSarif(sampleResult(), SAMPLE_RULES, META)));
  assertValid(toSarif(EMPTY_RESULT, SAMPLE_RULES, META));
  assertValid(toSarif(EMPTY_RESULT, [], META));
});

test('the validator is not vacuous: a broken log is rejected', () => {
  const log = toSarif(sampleResult(), SAMPLE_RULES, META) as unknown as { runs: { results: { level: string }[] }[] };
  log.runs[0].results[0].level = 'fatal';
  assert.equal(validate(log), false);
  assert.equal(validate({ version: '2.0.0', runs: [] }), false);
});

test('tool.driver lists every rule with id = code, name, description, help link and default level', () => {
  const driver = toSarif(sampleResult(), SAMPLE_RULES, META).runs[0].tool.driver;
  assert.equal(driver.name, 'iommu-review');
  assert.equal(driver.version, '1.2.3');
  assert.equal(driver.informationUri, 'https://example.invalid/iommu-review');
  assert.deepEqual(driver.rules?.map((r) => r.id), ['OWN001', 'OWN005', 'OWN012']);
  const own012 = driver.rules![2];
  assert.equal(own012.name, 'attach-device-in-multi-device-group');
  assert.equal(own012.shortDescription?.text, 'Attaching one device of a shared group.');
  assert.equal(own012.helpUri, 'https://example.invalid/docs/rules/attach-device-in-multi-device-group.md');
  assert.equal(own012.defaultConfiguration?.level, 'warning');
});

test('results carry ruleId, ruleIndex, level, message and the user location', () => {
  const results = toSarif(sampleResult([ERROR_FINDING, WARNING_FINDING, INFO_FINDING]), SAMPLE_RULES, META).runs[0].results!;
  assert.deepEqual(results.map((r) => [r.ruleId, r.ruleIndex, r.level]), [['OWN001', 0, 'error'], ['OWN012', 2, 'warning'], ['OWN005', 1, 'note']]);
  const loc = results[0].locations![0].physicalLocation!;
  assert.equal(loc.artifactLocation!.uri, 'series/0002-foo.patch');
  assert.deepEqual(loc.region, { startLine: 42, startColumn: 3 });
  assert.equal(results[1].locations![0].physicalLocation!.artifactLocation!.uri, 'dir%20with%20space/bar.c');
});

test('the trace becomes relatedLocations and one ordered codeFlow; the post-image is a related location', () => {
  const result = toSarif(sampleResult([ERROR_FINDING]), SAMPLE_RULES, META).runs[0].results![0];
  const related = result.relatedLocations!;
  assert.equal(related[0].physicalLocation!.artifactLocation!.uri, 'drivers/vfio/pci/foo/main.c');
  assert.equal(related[0].physicalLocation!.region!.startLine, 120);
  assert.equal(related[1].physicalLocation!.region!.startLine, 30);
  assert.deepEqual(related.map((r) => r.id), [0, 1]);
  const flow = result.codeFlows![0].threadFlows[0].locations;
  assert.equal(flow.length, 2);
  assert.equal(flow[1].location!.message!.text, 'user: vfio open → iommu_group_claim_dma_owner(grp0) = -EPERM');
  assert.equal(result.fixes![0].artifactChanges[0].replacements[0].insertedContent!.text, '\t.driver_managed_dma = true,\n');
});

test('problems become tool execution notifications; a failed input marks the run unsuccessful', () => {
  const inv = toSarif(sampleResult(), SAMPLE_RULES, META).runs[0].invocations![0];
  assert.equal(inv.executionSuccessful, false);
  assert.deepEqual(inv.toolExecutionNotifications!.map((n) => n.level), ['note', 'error']);
  assert.equal(toSarif(EMPTY_RESULT, SAMPLE_RULES, META).runs[0].invocations![0].executionSuccessful, true);
});

test('paths become URI references', () => {
  assert.equal(toUriReference('a/b.patch'), 'a/b.patch');
  assert.equal(toUriReference('/tmp/x y.c'), 'file:///tmp/x%20y.c');
  assert.equal(toUriReference('<stdin>'), '%3Cstdin%3E');
  assert.equal(toUriReference('a#b?.c'), 'a%23b%3F.c');
});
