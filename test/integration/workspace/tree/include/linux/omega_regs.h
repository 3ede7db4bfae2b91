/* SPDX-License-Identifier: GPL-2.0-only */
/* Test fixture for iommu-review: register layout of the invented Omega device. */
#ifndef OMEGA_REGS_H
#define OMEGA_REGS_H
#define OMEGA_REG_CTRL	0x00
#define OMEGA_REG_STATUS	0x04
#endif
