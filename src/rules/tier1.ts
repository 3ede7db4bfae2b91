/** The tier-1 rules (owned with analyze() and the engine), in catalogue order. */
import type { Rule } from './types';
import { missingDriverManagedDma } from './missing-driver-managed-dma';
import { unbalancedDmaOwnerClaim } from './unbalanced-dma-owner-claim';
import { defaultDomainUseInDriver } from './default-domain-use-in-driver';
import { unbalancedDefaultDomainUse } from './unbalanced-default-domain-use';
import { attachDeviceInMultiDeviceGroup } from './attach-device-in-multi-device-group';
import { attachWithoutDetach } from './attach-without-detach';
import { staleApiName } from './stale-api-name';
import { pasidAttachLeak } from './pasid-attach-leak';
import { attachSharedSingleDevice } from './attach-shared-single-device';

export const TIER1_RULES: readonly Rule[] = [
  missingDriverManagedDma,
  unbalancedDmaOwnerClaim,
  defaultDomainUseInDriver,
  unbalancedDefaultDomainUse,
  attachDeviceInMultiDeviceGroup,
  attachWithoutDetach,
  staleApiName,
  pasidAttachLeak,
  attachSharedSingleDevice,
];
