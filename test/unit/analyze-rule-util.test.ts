/** The helpers the rules share (the call graph of the C facts, finding keys, NULL cookies) on hand-built facts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CFacts, DriverStructFact, FunctionFact } from '../../src/core/types';
import { callbackFunctions, reachableFunctions } from '../../src/core/c/call-graph';
import { keyOf } from '../../src/rules/reports';
import { isNullArg } from '../../src/rules/null-dma-owner-cookie';
import { isCoreOrBusCode } from '../../src/core/sim/file-role';
import { managedDmaFlag } from '../../src/core/sim/vocabulary';

const span = (line: number) => ({ line, column: 1, endLine: line, endColumn: 2 });

function fn(name: string, callees: string[], extra: Partial<FunctionFact> = {}): FunctionFact {
  return {
    name,
    nameSpan: span(1),
    span: span(1),
    isStatic: true,
    params: [{ name: 'dev', type: 'struct device *' }],
    returnType: 'int',
    complete: true,
    calls: callees.map((callee, i) => ({
      callee,
      args: [],
      span: span(i + 2),
      calleeSpan: span(i + 2),
      inFunction: name,
      resultUse: 'ignored',
      added: true,
      inErrorRegion: false,
    })),
    program: [],
    devmActions: [],
    labels: {},
    addedLines: [],
    ...extra,
  };
}

function facts(path: string, functions: FunctionFact[], drivers: DriverStructFact[] = []): CFacts {
  return {
    path,
    image: 'file',
    complete: true,
    drivers,
    busTypes: [],
    functions,
    dmaApi: [],
    mmio: [],
    identifiers: [],
    registrations: [],
    addedLines: [],
    visibleLines: [{ from: 1, to: 100 }],
    parse: { errorNodes: 0, timedOut: false, bytes: 0 },
  };
}

function driver(callbacks: Record<string, string>, fields: DriverStructFact['fields'] = []): DriverStructFact {
  return {
    name: 'foo_driver',
    structType: 'pci_driver',
    bus: 'pci',
    nameSpan: span(50),
    span: span(50),
    insertBefore: { line: 55, column: 1, indent: '\t' },
    fields,
    complete: true,
    managedDma: { state: 'absent' },
    callbacks,
    addedLines: [],
  };
}

test('isCoreOrBusCode: IOMMU core paths, the driver core, bus hooks; not dmaengine helpers or drivers', () => {
  assert.equal(isCoreOrBusCode(facts('drivers/iommu/iommu.c', [])), true);
  assert.equal(isCoreOrBusCode(facts('/home/me/linux/include/linux/iommu.h', [])), true);
  assert.equal(isCoreOrBusCode(facts('drivers/base/dd.c', [])), true);
  assert.equal(isCoreOrBusCode(facts('drivers/bus/foo.c', [fn('foo_dma_configure', [])])), true);
  const dmaengineHelper = fn('xdma_dma_configure', [], { params: [{ name: 'chan', type: 'struct dma_chan *' }, { name: 'cfg', type: 'struct dma_slave_config *' }] });
  assert.equal(isCoreOrBusCode(facts('drivers/dma/xdma.c', [dmaengineHelper])), false);
  assert.equal(isCoreOrBusCode(facts('drivers/vfio/pci/foo/main.c', [fn('foo_probe', [])])), false);
});

test('isCoreOrBusCode: "core" is the ownership API implementation, not the rest of drivers/iommu/', () => {
  // iommufd claims ownership like any driver: it is reviewed.
  assert.equal(isCoreOrBusCode(facts('drivers/iommu/iommufd/device.c', [fn('iommufd_device_bind', ['iommu_device_claim_dma_owner'])])), false);
  assert.equal(isCoreOrBusCode(facts('drivers/iommu/arm/arm-smmu/arm-smmu.c', [fn('arm_smmu_probe', [])])), false);
  assert.equal(isCoreOrBusCode(facts('drivers/iommu/iommu-sva.c', [])), true);
  // A file that defines the API (wherever it lives, e.g. a series posting's copy) is its implementation.
  assert.equal(isCoreOrBusCode(facts('drivers/iommu/ownership.c', [fn('iommu_device_claim_dma_owner', ['mutex_lock'])])), true);
  // Other drivers/base files are not the driver core's probe path.
  assert.equal(isCoreOrBusCode(facts('drivers/base/firmware_loader/main.c', [fn('fw_probe', [])])), false);
});

test('reachableFunctions follows direct calls and devm actions, not unknown callees', () => {
  const f = facts('a.c', [
    fn('foo_remove', ['foo_teardown', 'kfree']),
    fn('foo_teardown', ['iommu_device_release_dma_owner']),
    fn('foo_probe', ['foo_setup'], { devmActions: [] }),
    fn('foo_unused', []),
  ]);
  assert.deepEqual(reachableFunctions(f, 'foo_remove').map((x) => x.name), ['foo_remove', 'foo_teardown']);
  assert.deepEqual(reachableFunctions(f, 'nope'), []);
});

test('callbackFunctions lists what the callbacks reach, their devm actions, and callbacks not in view', () => {
  const probe = fn('foo_probe', ['devm_add_action_or_reset']);
  probe.devmActions = [{ fn: 'foo_release', call: probe.calls[0] }];
  const f = facts('a.c', [probe, fn('foo_release', ['iommu_detach_device_pasid'])]);
  const cbs = callbackFunctions(f, driver({ probe: 'foo_probe', remove: 'foo_remove' }));
  assert.deepEqual(cbs.functions.map((x) => x.name).sort(), ['foo_probe', 'foo_release']);
  assert.deepEqual(cbs.devmActions.map((x) => x.name), ['foo_release']);
  assert.deepEqual(cbs.missing, [{ field: 'remove', fn: 'foo_remove' }]);
});

test('managedDmaFlag follows the posting; keyOf and isNullArg', () => {
  assert.deepEqual(managedDmaFlag('latest'), { field: 'driver_managed_dma', inDeviceDriver: false });
  assert.deepEqual(managedDmaFlag('series-v1'), { field: 'suppress_auto_claim_dma_owner', inDeviceDriver: true });
  assert.deepEqual(managedDmaFlag('series-v3'), { field: 'suppress_auto_claim_dma_owner', inDeviceDriver: false });
  assert.deepEqual(managedDmaFlag('series-v5'), { field: 'no_kernel_api_dma', inDeviceDriver: false });
  assert.equal(keyOf('OWN005', 'foo_probe', undefined, '', 'x'), 'OWN005:foo_probe:x');
  assert.ok(isNullArg('NULL') && isNullArg(' 0 ') && isNullArg('(void *)0'));
  assert.ok(!isNullArg('priv') && !isNullArg(undefined));
});
