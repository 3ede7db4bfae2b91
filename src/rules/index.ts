/**
 * The rule registry: every rule, in catalogue order (docs/rules/README.md, the spec's rules.md table).
 * A new rule is one file, one import and one entry here, its doc page and its fixtures.
 */
import type { Rule } from './types';
import { missingDriverManagedDma } from './missing-driver-managed-dma';
import { driverManagedDmaWithDmaApi } from './driver-managed-dma-with-dma-api';
import { driverManagedDmaOnMmioDriver } from './driver-managed-dma-on-mmio-driver';
import { placeholderDriverWithoutFlag } from './placeholder-driver-without-flag';
import { unbalancedDmaOwnerClaim } from './unbalanced-dma-owner-claim';
import { mixedClaimGranularity } from './mixed-claim-granularity';
import { groupClaimOutsideVfio } from './group-claim-outside-vfio';
import { nullDmaOwnerCookie } from './null-dma-owner-cookie';
import { defaultDomainUseInDriver } from './default-domain-use-in-driver';
import { unbalancedDefaultDomainUse } from './unbalanced-default-domain-use';
import { busWithoutOwnershipHooks } from './bus-without-ownership-hooks';
import { attachDeviceInMultiDeviceGroup } from './attach-device-in-multi-device-group';
import { attachWithoutDetach } from './attach-without-detach';
import { detachWrongDomain } from './detach-wrong-domain';
import { privateDomainWithDmaApi } from './private-domain-with-dma-api';
import { attachGroupWithoutOwnership } from './attach-group-without-ownership';
import { staleApiName } from './stale-api-name';
import { removedGroupNotifier } from './removed-group-notifier';
import { pasidAttachLeak } from './pasid-attach-leak';
import { pasidDetachMismatch } from './pasid-detach-mismatch';
import { pasidOwnershipOrder } from './pasid-ownership-order';
import { pasidStoredInDomain } from './pasid-stored-in-domain';
import { invalidPasid } from './invalid-pasid';
import { defaultDomainProbeDefer } from './default-domain-probe-defer';
import { ownershipOnFakeGroup } from './ownership-on-fake-group';
import { uncheckedOwnershipReturn } from './unchecked-ownership-return';
import { attachSharedSingleDevice } from './attach-shared-single-device';

export const RULES: readonly Rule[] = [
  missingDriverManagedDma, // OWN001
  driverManagedDmaWithDmaApi, // OWN002
  driverManagedDmaOnMmioDriver, // OWN003
  placeholderDriverWithoutFlag, // OWN004
  unbalancedDmaOwnerClaim, // OWN005
  mixedClaimGranularity, // OWN006
  groupClaimOutsideVfio, // OWN007
  nullDmaOwnerCookie, // OWN008
  defaultDomainUseInDriver, // OWN009
  unbalancedDefaultDomainUse, // OWN010
  busWithoutOwnershipHooks, // OWN011
  attachDeviceInMultiDeviceGroup, // OWN012
  attachWithoutDetach, // OWN013
  detachWrongDomain, // OWN014
  privateDomainWithDmaApi, // OWN015
  attachGroupWithoutOwnership, // OWN016
  staleApiName, // OWN017
  removedGroupNotifier, // OWN018
  pasidAttachLeak, // OWN019
  pasidDetachMismatch, // OWN020
  pasidOwnershipOrder, // OWN021
  pasidStoredInDomain, // OWN022
  invalidPasid, // OWN023
  defaultDomainProbeDefer, // OWN024
  ownershipOnFakeGroup, // OWN025
  uncheckedOwnershipReturn, // OWN026
  attachSharedSingleDevice, // OWN027
];

export function findRule(nameOrCode: string): Rule | undefined {
  const key = nameOrCode.trim();
  return RULES.find((r) => r.meta.name === key || r.meta.code.toLowerCase() === key.toLowerCase());
}
