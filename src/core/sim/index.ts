/**
 * The simulation core's public API (issue 3). Pure: no parsing, no I/O.
 * Implementation lives in the sibling modules; this file is the contract the rules and hosts use.
 */
import type {
  CFacts, DriverStructFact, FunctionFact, KernelTarget, ScenarioResult, TopologyKind, TraceStep,
} from '../types';

export interface DriverSimInput {
  target: KernelTarget;
  driver: DriverStructFact;
  /** Facts of the file, to find the callbacks' bodies, helper functions and devm actions. */
  facts: CFacts;
  topology: TopologyKind;
  /** false models !CONFIG_IOMMU_API (stubs). Default true. */
  iommuApi?: boolean;
  /**
   * CONFIG_DEBUG_TEST_DRIVER_REMOVE: after a successful probe, remove and probe again. Before 6.6 (targets 5.19, 6.2)
   * that path skipped dma_cleanup, so a DMA-API driver's count is taken twice. Default false.
   */
  testRemove?: boolean;
  /**
   * The default domain's kind in the driver's group. Unset: DMA, plus IDENTITY and (before 6.15) none when the driver
   * looks at its current domain (iommu_get_domain_for_dev): drivers that attach only then must be exercised.
   */
  defaultDomain?: 'dma' | 'identity' | 'none';
}

export interface FunctionSimInput {
  target: KernelTarget;
  fn: FunctionFact;
  facts: CFacts;
  topology: TopologyKind;
  iommuApi?: boolean;
  /** How to run it: a plain function (ioctl/open handler), or a bus hook with a bound driver whose flag is given. */
  role?: { kind: 'generic' } | { kind: 'dma_configure' | 'dma_cleanup'; driverManagedDma: boolean };
  /**
   * A generic function that gives back (releases ownership, detaches a PASID) starts from the state that presumes:
   * its caller holds what it gives back (shown as `setup` steps). Default false: a fresh group.
   */
  startHeld?: boolean;
  /** The default domain's kind in the group (DriverSimInput.defaultDomain); default DMA. */
  defaultDomain?: 'dma' | 'identity' | 'none';
  /**
   * The group is a VFIO no-IOMMU (fake) group: every test of fakeness on the path holds (named by FAKE_GROUP_TEXT),
   * and a DMA-ownership claim or release reached is 'ownership-on-fake-group'. Default false.
   */
  fakeGroup?: boolean;
}

/** Information about one API name on a target (hover, stale-api-name, arity checks). */
export interface ApiInfo {
  name: string;
  kind: 'function' | 'field' | 'enum' | 'macro';
  signature: string;
  summary: string;
  /** Return codes on this target ('0', '-EPERM: ...'). */
  returns: string[];
  /** False when the name does not exist on the target (stale or not yet added). */
  exists: boolean;
  /** For stale names: what to use instead on this target. */
  replacement?: string;
  /** Kernel version or posting where it appeared / disappeared. */
  history: string;
}

export { simulateDriver, simulateFunction } from './replay';
export { lookupApi, allApiNames } from './profiles';
export { renderTrace } from './render';
export type { SimArg, SimValue } from './model';
export { topologyFromSysfs } from './topology';
export { createdDevices, createdDeviceKey, type CreatedDevices } from './device-identity';

export type { CFacts, DriverStructFact, FunctionFact, KernelTarget, ScenarioResult, TopologyKind, TraceStep };
export { simulateLifecycle } from './lifecycle';
export type { LifecycleResult, LifecyclePartner, LifecycleSimInput, PairingKind } from './lifecycle';
