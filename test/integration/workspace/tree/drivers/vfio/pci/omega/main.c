// SPDX-License-Identifier: GPL-2.0-only
/*
 * Test fixture for iommu-review: a VFIO PCI variant driver for the invented
 * Omega device, still a skeleton that allocates its VFIO device only.
 */
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/vfio_pci_core.h>

static const struct vfio_device_ops omega_vfio_ops = {
	.name = "omega-vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = vfio_pci_core_open_device,
	.close_device = vfio_pci_core_close_device,
};

static int omega_vfio_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;

	vdev = vfio_alloc_device(vfio_pci_core_device, vdev, &pdev->dev, &omega_vfio_ops);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);

	dev_set_drvdata(&pdev->dev, vdev);
	return 0;
}

static void omega_vfio_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = dev_get_drvdata(&pdev->dev);

	vfio_put_device(&vdev->vdev);
}

static const struct pci_device_id omega_vfio_table[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(0x1ace, 0x0e6a) },
	{}
};
MODULE_DEVICE_TABLE(pci, omega_vfio_table);

static struct pci_driver omega_vfio_pci_driver = {
	.name = "omega-vfio-pci",
	.id_table = omega_vfio_table,
	.probe = omega_vfio_probe,
	.remove = omega_vfio_remove,
};
module_pci_driver(omega_vfio_pci_driver);

MODULE_LICENSE("GPL");
