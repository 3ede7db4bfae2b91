// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test fixture for iommu-review: a VFIO PCI variant driver for an invented
 * "ACME widget" that forgets to mark itself as managing DMA ownership.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

struct acme_vfio_dev {
	struct vfio_pci_core_device core;
	u32 widget_rev;
};

static const struct vfio_device_ops acme_vfio_ops = {
	.name = "acme-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = vfio_pci_core_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
};

static int acme_vfio_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct acme_vfio_dev *acme;
	int ret;

	acme = vfio_alloc_device(acme_vfio_dev, core.vdev, &pdev->dev, &acme_vfio_ops);
	if (IS_ERR(acme))
		return PTR_ERR(acme);

	dev_set_drvdata(&pdev->dev, &acme->core);
	ret = vfio_pci_core_register_device(&acme->core);
	if (ret)
		goto out_put;
	return 0;

out_put:
	vfio_put_device(&acme->core.vdev);
	return ret;
}

static void acme_vfio_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *core = dev_get_drvdata(&pdev->dev);

	vfio_pci_core_unregister_device(core);
	vfio_put_device(&core->vdev);
}

static const struct pci_device_id acme_vfio_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x1ace, 0x0042) },
	{}
};
MODULE_DEVICE_TABLE(pci, acme_vfio_table);

static struct pci_driver acme_vfio_pci_driver = {
	.name = "acme-vfio-pci",
	.id_table = acme_vfio_table,
	.probe = acme_vfio_probe,
	.remove = acme_vfio_remove,
	.err_handler = &vfio_pci_core_err_handlers,
};

module_pci_driver(acme_vfio_pci_driver);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("VFIO PCI variant driver for the ACME widget (test fixture)");
