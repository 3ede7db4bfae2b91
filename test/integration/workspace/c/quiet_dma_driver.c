// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test fixture for iommu-review: an invented PCI driver that uses the kernel
 * DMA API normally. Nothing to report; its code lens shows the bind verdicts.
 */
#include <linux/dma-mapping.h>
#include <linux/module.h>
#include <linux/pci.h>

static int quiet_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret;

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	pci_set_master(pdev);
	return dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
}

static void quiet_remove(struct pci_dev *pdev)
{
	pci_clear_master(pdev);
}

static const struct pci_device_id quiet_ids[] = {
	{ PCI_DEVICE(0x1ace, 0x0007) },
	{}
};
MODULE_DEVICE_TABLE(pci, quiet_ids);

static struct pci_driver quiet_pci_driver = {
	.name = "quiet-dma",
	.id_table = quiet_ids,
	.probe = quiet_probe,
	.remove = quiet_remove,
};
module_pci_driver(quiet_pci_driver);
MODULE_LICENSE("GPL");
